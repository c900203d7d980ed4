-- Active units below each unit, by kind, kept current by statement-level triggers so that the
-- dashboards' "units by kind per district" reads a handful of rows instead of grouping the
-- tenant's whole tree. One statement's changes are aggregated into one delta per (ancestor,
-- kind), so a bulk load or a subtree move costs one upsert per touched ancestor, not per row.

CREATE TABLE unit_count_rollup (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant() REFERENCES tenant (id),
  ancestor_id uuid NOT NULL,
  kind text NOT NULL,
  -- No CHECK (count >= 0): PostgreSQL checks the proposed row of INSERT … ON CONFLICT before it
  -- resolves the conflict, so a negative delta would fail even when it updates an existing row.
  count integer NOT NULL,
  PRIMARY KEY (tenant_id, ancestor_id, kind)
);
COMMENT ON TABLE unit_count_rollup IS 'Active descendants (the unit itself excluded) of ancestor_id, by kind. Read only for a unit the caller can see.';

-- Tenant isolation as everywhere. Scope is enforced by reading a rollup row only for a unit the
-- caller has loaded (units are scope-filtered); the rows hold counts, never names or ids.
ALTER TABLE unit_count_rollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE unit_count_rollup FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON unit_count_rollup USING (tenant_id = platform.current_tenant());

-- Contributions of one statement's rows: +1 for every ancestor of every active new row, -1 for
-- every ancestor of every active old row, netted per (ancestor, kind). A trigger may only name
-- the transition tables it declares, hence the two guarded reads.
CREATE FUNCTION unit_count_track() RETURNS trigger
LANGUAGE plpgsql SET search_path = organisation, public AS $$
DECLARE
  added jsonb := '[]';
  removed jsonb := '[]';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT coalesce(jsonb_agg(jsonb_build_object('t', tenant_id, 'k', kind, 'p', path::text)), '[]') INTO added FROM new_rows WHERE status = 'ACTIVE';
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT coalesce(jsonb_agg(jsonb_build_object('t', tenant_id, 'k', kind, 'p', path::text)), '[]') INTO removed FROM old_rows WHERE status = 'ACTIVE';
  END IF;
  INSERT INTO unit_count_rollup AS r (tenant_id, ancestor_id, kind, count)
  SELECT tenant_id, ancestor_id, kind, delta FROM (
    SELECT (c->>'t')::uuid AS tenant_id, a.label::uuid AS ancestor_id, c->>'k' AS kind, sum(c.delta)::int AS delta
      FROM (SELECT e AS c, 1 AS delta FROM jsonb_array_elements(added) e
            UNION ALL SELECT e, -1 FROM jsonb_array_elements(removed) e) AS c(c, delta)
      CROSS JOIN LATERAL unnest(string_to_array(subpath((c->>'p')::ltree, 0, nlevel((c->>'p')::ltree) - 1)::text, '.')) AS a(label)
     WHERE nlevel((c->>'p')::ltree) > 1
     GROUP BY 1, 2, 3
    HAVING sum(c.delta) <> 0
     ORDER BY 1, 2, 3  -- a fixed lock order: concurrent writers cannot deadlock on ancestor rows
  ) d
  ON CONFLICT (tenant_id, ancestor_id, kind) DO UPDATE SET count = r.count + excluded.count;
  RETURN NULL;
END $$;

CREATE TRIGGER unit_count_insert AFTER INSERT ON org_unit REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION unit_count_track();
CREATE TRIGGER unit_count_update AFTER UPDATE ON org_unit REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION unit_count_track();
CREATE TRIGGER unit_count_delete AFTER DELETE ON org_unit REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION unit_count_track();

-- Existing rows (databases migrated before this file).
INSERT INTO unit_count_rollup (tenant_id, ancestor_id, kind, count)
SELECT u.tenant_id, a.label::uuid, u.kind, count(*)
  FROM org_unit u CROSS JOIN LATERAL unnest(string_to_array(subpath(u.path, 0, nlevel(u.path) - 1)::text, '.')) AS a(label)
 WHERE u.status = 'ACTIVE' AND nlevel(u.path) > 1
 GROUP BY 1, 2, 3;
