-- Progress figures sum the per-street summaries of the streets below a unit: the streets are
-- found by kind (a text equality, an index condition under row-level security), and only
-- those hundred or so rows are tested against the unit's path, not the city's every unit.
CREATE INDEX unit_path_tenant_kind ON unit_path (tenant_id, kind);
