-- Subtree summaries: the per-unit metrics of unit_stat, added up for every ancestor, so a
-- district's statistics read one row per metric instead of summing every unit below it. Kept
-- by the same statement-level triggers (one statement's rows are netted per ancestor and metric),
-- and moved along when a unit moves in the tree (apply_unit_changed).

CREATE TABLE subtree_stat (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  ancestor_id uuid NOT NULL,
  metric text NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (tenant_id, ancestor_id, metric)
);
COMMENT ON TABLE subtree_stat IS 'unit_stat summed over each unit''s subtree (the unit itself included). Read only for a unit the caller may see.';
ALTER TABLE subtree_stat ENABLE ROW LEVEL SECURITY;
ALTER TABLE subtree_stat FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON subtree_stat USING (tenant_id = platform.current_tenant());

-- One statement per case (a trigger may only read the transition tables it declares): the
-- statement's rows are netted per (unit, metric), added to the unit's own summary and to every
-- ancestor's (labels are unit ids without hyphens, which uuid accepts). Fixed lock order.
CREATE OR REPLACE FUNCTION unit_stat_track() RETURNS trigger
LANGUAGE plpgsql SET search_path = services, public AS $$
BEGIN
  IF TG_TABLE_NAME = 'service_order' THEN
    IF TG_OP = 'INSERT' THEN
      WITH d AS MATERIALIZED (
        SELECT n.tenant_id, n.unit_id, m.metric, sum(m.value) AS v FROM new_rows n CROSS JOIN LATERAL order_metrics(n) m GROUP BY 1, 2, 3
      ), own AS (
        INSERT INTO unit_stat AS s (tenant_id, unit_id, metric, value)
        SELECT tenant_id, unit_id, metric, v FROM d ORDER BY 1, 2, 3
        ON CONFLICT (tenant_id, unit_id, metric) DO UPDATE SET value = s.value + excluded.value
      )
      INSERT INTO subtree_stat AS s (tenant_id, ancestor_id, metric, value)
      SELECT d.tenant_id, a.label::uuid, d.metric, sum(d.v)
        FROM d JOIN unit_path u ON u.tenant_id = d.tenant_id AND u.unit_id = d.unit_id
       CROSS JOIN LATERAL unnest(string_to_array(u.path::text, '.')) AS a(label)
       GROUP BY 1, 2, 3 HAVING sum(d.v) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, ancestor_id, metric) DO UPDATE SET value = s.value + excluded.value;
    ELSE
      WITH d AS MATERIALIZED (
        SELECT tenant_id, unit_id, metric, sum(v) AS v FROM (
          SELECT n.tenant_id, n.unit_id, m.metric, m.value AS v FROM new_rows n CROSS JOIN LATERAL order_metrics(n) m
          UNION ALL SELECT o.tenant_id, o.unit_id, m.metric, -m.value FROM old_rows o CROSS JOIN LATERAL order_metrics(o) m) x
         GROUP BY 1, 2, 3 HAVING sum(v) <> 0
      ), own AS (
        INSERT INTO unit_stat AS s (tenant_id, unit_id, metric, value)
        SELECT tenant_id, unit_id, metric, v FROM d ORDER BY 1, 2, 3
        ON CONFLICT (tenant_id, unit_id, metric) DO UPDATE SET value = s.value + excluded.value
      )
      INSERT INTO subtree_stat AS s (tenant_id, ancestor_id, metric, value)
      SELECT d.tenant_id, a.label::uuid, d.metric, sum(d.v)
        FROM d JOIN unit_path u ON u.tenant_id = d.tenant_id AND u.unit_id = d.unit_id
       CROSS JOIN LATERAL unnest(string_to_array(u.path::text, '.')) AS a(label)
       GROUP BY 1, 2, 3 HAVING sum(d.v) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, ancestor_id, metric) DO UPDATE SET value = s.value + excluded.value;
    END IF;
  ELSE
    IF TG_OP = 'INSERT' THEN
      WITH d AS MATERIALIZED (
        SELECT n.tenant_id, n.unit_id, m.metric, sum(m.value) AS v FROM new_rows n CROSS JOIN LATERAL wish_metrics(n) m GROUP BY 1, 2, 3
      ), own AS (
        INSERT INTO unit_stat AS s (tenant_id, unit_id, metric, value)
        SELECT tenant_id, unit_id, metric, v FROM d ORDER BY 1, 2, 3
        ON CONFLICT (tenant_id, unit_id, metric) DO UPDATE SET value = s.value + excluded.value
      )
      INSERT INTO subtree_stat AS s (tenant_id, ancestor_id, metric, value)
      SELECT d.tenant_id, a.label::uuid, d.metric, sum(d.v)
        FROM d JOIN unit_path u ON u.tenant_id = d.tenant_id AND u.unit_id = d.unit_id
       CROSS JOIN LATERAL unnest(string_to_array(u.path::text, '.')) AS a(label)
       GROUP BY 1, 2, 3 HAVING sum(d.v) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, ancestor_id, metric) DO UPDATE SET value = s.value + excluded.value;
    ELSE
      WITH d AS MATERIALIZED (
        SELECT tenant_id, unit_id, metric, sum(v) AS v FROM (
          SELECT n.tenant_id, n.unit_id, m.metric, m.value AS v FROM new_rows n CROSS JOIN LATERAL wish_metrics(n) m
          UNION ALL SELECT o.tenant_id, o.unit_id, m.metric, -m.value FROM old_rows o CROSS JOIN LATERAL wish_metrics(o) m) x
         GROUP BY 1, 2, 3 HAVING sum(v) <> 0
      ), own AS (
        INSERT INTO unit_stat AS s (tenant_id, unit_id, metric, value)
        SELECT tenant_id, unit_id, metric, v FROM d ORDER BY 1, 2, 3
        ON CONFLICT (tenant_id, unit_id, metric) DO UPDATE SET value = s.value + excluded.value
      )
      INSERT INTO subtree_stat AS s (tenant_id, ancestor_id, metric, value)
      SELECT d.tenant_id, a.label::uuid, d.metric, sum(d.v)
        FROM d JOIN unit_path u ON u.tenant_id = d.tenant_id AND u.unit_id = d.unit_id
       CROSS JOIN LATERAL unnest(string_to_array(u.path::text, '.')) AS a(label)
       GROUP BY 1, 2, 3 HAVING sum(d.v) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, ancestor_id, metric) DO UPDATE SET value = s.value + excluded.value;
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- As in 001, plus: when a unit's path changes, its own summary moves from the old ancestors to
-- the new ones (each moved descendant arrives as its own event and moves its own summary).
CREATE OR REPLACE FUNCTION apply_unit_changed(p_tenant uuid, p_seq bigint, p_payload jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = services, public AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_scope text := current_setting('app.scope_unit', true);
  new_path ltree := (p_payload->>'path')::ltree;
  unit uuid := (p_payload->>'id')::uuid;
  old_path ltree;
  applied boolean;
BEGIN
  IF unit IS NULL OR new_path IS NULL THEN
    RAISE EXCEPTION 'org_unit.changed event % of tenant % has no id or path.', p_seq, p_tenant;
  END IF;
  PERFORM set_config('app.tenant_id', p_tenant::text, true);
  PERFORM set_config('app.scope_unit', '', true);
  SELECT u.path INTO old_path FROM unit_path u WHERE u.tenant_id = p_tenant AND u.unit_id = unit FOR UPDATE;
  INSERT INTO unit_path AS u (tenant_id, unit_id, parent_id, kind, name, status, path, last_seq)
    VALUES (p_tenant, unit, (p_payload->>'parentId')::uuid, p_payload->>'kind', p_payload->>'name', p_payload->>'status', new_path, p_seq)
    ON CONFLICT (tenant_id, unit_id) DO UPDATE
      SET parent_id = excluded.parent_id, kind = excluded.kind, name = excluded.name, status = excluded.status,
          path = excluded.path, last_seq = excluded.last_seq, updated_at = now()
      WHERE u.last_seq < excluded.last_seq
    RETURNING true INTO applied;
  IF applied THEN
    UPDATE service_order SET org_path = new_path WHERE tenant_id = p_tenant AND unit_id = unit AND org_path <> new_path;
    UPDATE micro_wish SET org_path = new_path WHERE tenant_id = p_tenant AND unit_id = unit AND org_path <> new_path;
    UPDATE resource SET unit_path = new_path WHERE tenant_id = p_tenant AND unit_id = unit AND unit_path <> new_path;
    UPDATE resource SET serves_path = new_path WHERE tenant_id = p_tenant AND serves_unit_id = unit AND serves_path <> new_path;
    UPDATE project SET lead_path = new_path WHERE tenant_id = p_tenant AND lead_unit_id = unit AND lead_path <> new_path;
    IF old_path IS NOT NULL AND old_path <> new_path THEN
      INSERT INTO subtree_stat AS s (tenant_id, ancestor_id, metric, value)
      SELECT p_tenant, a.label::uuid, st.metric, sum(st.value * a.sign)
        FROM unit_stat st
       CROSS JOIN LATERAL (SELECT l, -1 FROM unnest(string_to_array(old_path::text, '.')) l
                           UNION ALL SELECT l, 1 FROM unnest(string_to_array(new_path::text, '.')) l) AS a(label, sign)
       WHERE st.tenant_id = p_tenant AND st.unit_id = unit
       GROUP BY 1, 2, 3
      HAVING sum(st.value * a.sign) <> 0
       ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, ancestor_id, metric) DO UPDATE SET value = s.value + excluded.value;
    END IF;
  END IF;
  INSERT INTO unit_event_cursor AS c (tenant_id, last_seq) VALUES (p_tenant, p_seq)
    ON CONFLICT (tenant_id) DO UPDATE SET last_seq = greatest(c.last_seq, excluded.last_seq), updated_at = now();
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  RETURN coalesce(applied, false);
END $$;

-- Existing summaries (databases migrated before this file).
INSERT INTO subtree_stat (tenant_id, ancestor_id, metric, value)
SELECT s.tenant_id, a.label::uuid, s.metric, sum(s.value)
  FROM unit_stat s JOIN unit_path u ON u.tenant_id = s.tenant_id AND u.unit_id = s.unit_id
 CROSS JOIN LATERAL unnest(string_to_array(u.path::text, '.')) AS a(label)
 GROUP BY 1, 2, 3;
