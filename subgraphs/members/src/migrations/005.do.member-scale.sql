-- Scale of a city of a million members.
--
-- Path indexes: under row-level security an ltree `<@` written in a query is not leakproof, so it
-- is never an index condition (it runs as a filter after the policy); the policies test scope
-- with `scope_label() IS NULL OR path ~ scope_query()`, which no index answers either. The GiST
-- indexes on member.org_path and unit_path.path were therefore never used by the service, and
-- cost minutes on a bulk load (and every insert). Subtree reads go through member_rollup by
-- ancestor id (equality) instead.
DROP INDEX member_org_path_gist;
DROP INDEX unit_path_gist;

-- A community's reported-in members count at the community's ancestors (member_rollup dimension
-- 'reportedIn'); when the community's path changes, its count moves with it. Otherwise as in 002.
CREATE OR REPLACE FUNCTION apply_unit_changed(p_tenant uuid, p_seq bigint, p_payload jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = members, public AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_scope text := current_setting('app.scope_unit', true);
  new_path ltree := (p_payload->>'path')::ltree;
  unit uuid := (p_payload->>'id')::uuid;
  old_path ltree;
  reported integer;
  applied boolean;
BEGIN
  IF unit IS NULL OR new_path IS NULL THEN
    RAISE EXCEPTION 'org_unit.changed event % of tenant % has no id or path.', p_seq, p_tenant;
  END IF;
  PERFORM set_config('app.tenant_id', p_tenant::text, true);
  PERFORM set_config('app.scope_unit', '', true);
  SELECT u.path INTO old_path FROM unit_path u WHERE u.tenant_id = p_tenant AND u.unit_id = unit;
  INSERT INTO unit_path AS u (tenant_id, unit_id, parent_id, kind, name, status, path, last_seq)
    VALUES (p_tenant, unit, (p_payload->>'parentId')::uuid, p_payload->>'kind', p_payload->>'name', p_payload->>'status', new_path, p_seq)
    ON CONFLICT (tenant_id, unit_id) DO UPDATE
      SET parent_id = excluded.parent_id, kind = excluded.kind, name = excluded.name, status = excluded.status,
          path = excluded.path, last_seq = excluded.last_seq, updated_at = now()
      WHERE u.last_seq < excluded.last_seq
    RETURNING true INTO applied;
  IF applied THEN
    UPDATE member SET org_path = new_path WHERE tenant_id = p_tenant AND org_unit_id = unit AND org_path <> new_path;
    IF old_path IS NOT NULL AND old_path <> new_path THEN
      SELECT r.count INTO reported FROM member_reported_in r WHERE r.tenant_id = p_tenant AND r.community_id = unit;
      IF coalesce(reported, 0) <> 0 THEN
        EXECUTE rollup_upsert(format($q$SELECT %1$L::uuid AS tenant_id, %2$L::ltree AS path, 'reportedIn' AS dim, '' AS key, %3$s AS delta
                                        UNION ALL SELECT %1$L::uuid, %4$L::ltree, 'reportedIn', '', %5$s$q$, p_tenant, old_path, -reported, new_path, reported));
      END IF;
    END IF;
  END IF;
  INSERT INTO unit_event_cursor AS c (tenant_id, last_seq) VALUES (p_tenant, p_seq)
    ON CONFLICT (tenant_id) DO UPDATE SET last_seq = greatest(c.last_seq, excluded.last_seq), updated_at = now();
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  RETURN coalesce(applied, false);
END $$;

-- A bulk insert that brings its members' paths along (INSERT … SELECT joined with unit_path)
-- is checked once per statement instead of one lookup per row; a row without a path ('') still
-- gets it from its unit, row by row, as before. Changes of unit keep the row trigger.
DROP TRIGGER member_set_path ON member;
CREATE TRIGGER member_set_path BEFORE INSERT ON member FOR EACH ROW WHEN (NEW.org_path = ''::ltree) EXECUTE FUNCTION member_set_path();
CREATE TRIGGER member_set_path_update BEFORE UPDATE OF org_unit_id, reported_in_community ON member FOR EACH ROW EXECUTE FUNCTION member_set_path();

CREATE FUNCTION member_check_paths() RETURNS trigger
LANGUAGE plpgsql SET search_path = members, public AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.id, n.org_unit_id INTO bad FROM new_rows n
    LEFT JOIN unit_path u ON u.tenant_id = n.tenant_id AND u.unit_id = n.org_unit_id
   WHERE u.path IS DISTINCT FROM n.org_path LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'Member % was given a path that is not the path of its organisation unit %.', bad.id, bad.org_unit_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER member_check_paths_insert AFTER INSERT ON member REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_check_paths();

-- Summary rows are updated in place by every change below them: room on each page keeps those
-- updates HOT (no new index entries).
ALTER TABLE member_rollup SET (fillfactor = 80);
