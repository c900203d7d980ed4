-- A per-tenant version of the tree: every statement that changes the tenant, its unit kinds, its
-- units or their counts bumps it, so a running service can keep the tree reads a dashboard makes
-- (districts, a unit's children, counts by kind) and reuse them exactly until the next change.
SELECT platform.track_summaries('organisation', ARRAY['tenant', 'unit_kind', 'org_unit', 'unit_count_rollup']);
