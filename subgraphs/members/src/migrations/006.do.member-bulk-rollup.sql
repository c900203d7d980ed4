-- Bulk writes of members (an import of 100,000 rows, a rebuild of a tenant's summaries) at the
-- cost of the summary rows they really change. Measured on the district profile, an import of
-- 100,000 members changed 629,519 summary rows, after a sort of 1.3 million rows that spilled to
-- disk; birth dates were two thirds of those rows.
--
-- Birth dates. member_rollup kept two rows per (ancestor, birth date): the birth month ('birthMonth',
-- read as age bands) and the birth day ('birthDay', read only for the five months that straddle an
-- age band's boundary today). Now:
--  * The days live in their month's row, as an array of 31 counts (days[d] = members born on day d
--    of that month; count = their sum): one row per birth month, and a boundary month still splits
--    exactly at today's day. Any month can straddle a boundary on some later date, so every month
--    keeps its days: age bands are still derived when they are read, never stored.
--  * A birth date counts at the ancestors of its member's unit, not at the unit itself: the unit's
--    own members are read by unit (the (tenant_id, org_unit_id) index) when its age bands are
--    asked for. Units holding members are small (a grid, a building group, a branch), and nearly
--    every member had a birth-month row of its own there.
-- Other dimensions have a handful of keys per unit and stay as they were.
--
-- Spreading. Each path's contributions were spread over its ancestors by splitting the path once
-- per contribution row. The ancestors of each distinct path are now listed once (a bulk load
-- touches a few thousand paths) and joined, and the deltas are grouped by hashing.

ALTER TABLE member_rollup ADD COLUMN days integer[];
COMMENT ON COLUMN member_rollup.days IS 'Birth months only (dim birthMonth): members born on each day of the month, days[1..31]; count is their sum. Birth months count the members below ancestor_id, not those of the unit itself.';

-- SQL for the 31 day counts of a birth month as an array, from grouped rows whose day is
-- `day_expr` (1–31) and whose count is `n_expr`.
CREATE FUNCTION rollup_days_sql(day_expr text, n_expr text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'ARRAY[' || string_agg(format('coalesce(sum(%2$s) FILTER (WHERE %1$s = %3$s), 0)::int', day_expr, n_expr, d), ', ' ORDER BY d) || ']'
    FROM generate_series(1, 31) AS d
$$;

-- As in 004, with one birth row per member: 'birthDay' (key YYYY-MM-DD), which rollup_upsert
-- stores as a day of its 'birthMonth' row.
CREATE OR REPLACE FUNCTION rollup_contributions(tbl text, rel text, sign integer) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = members, public AS $$
  SELECT CASE tbl
    WHEN 'member' THEN format($q$
      SELECT tenant_id, org_path AS path, 'stage' AS dim, stage AS key, %2$s AS delta FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src
      UNION ALL SELECT tenant_id, org_path, 'category', c, %2$s FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src, unnest(categories) c WHERE stage IN ('PROBATIONARY', 'FULL')
      UNION ALL SELECT tenant_id, org_path, 'flag', f, %2$s FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src, unnest(flags) f WHERE stage IN ('PROBATIONARY', 'FULL')
      UNION ALL SELECT tenant_id, org_path, 'education', education, %2$s FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src WHERE stage IN ('PROBATIONARY', 'FULL')
      UNION ALL SELECT tenant_id, org_path, 'birthDay', to_char(birth_date, 'YYYY-MM-DD'), %2$s FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src WHERE stage IN ('PROBATIONARY', 'FULL')
      UNION ALL SELECT src.tenant_id, u.path, 'reportedIn', '', %2$s FROM (%3$s) AS src
                  JOIN unit_path u ON u.tenant_id = src.tenant_id AND u.unit_id = src.community$q$, rel, sign, reported_in_contributions(rel, 1))
    -- An account counts its own months owed and the member's payments (which follow it).
    WHEN 'dues_account' THEN format($q$
      SELECT tenant_id, org_path AS path, 'duesFrom' AS dim, to_char(from_month, 'YYYY-MM') AS key, %2$s AS delta FROM %1$I WHERE monthly_amount > 0 AND member_active
      UNION ALL SELECT a.tenant_id, a.org_path, 'duesPaid', to_char(p.month, 'YYYY-MM'), %2$s FROM %1$I a
                  JOIN dues_payment p ON p.tenant_id = a.tenant_id AND p.member_id = a.member_id WHERE a.member_active$q$, rel, sign)
    WHEN 'dues_payment' THEN format($q$
      SELECT p.tenant_id, a.org_path AS path, 'duesPaid' AS dim, to_char(p.month, 'YYYY-MM') AS key, %2$s AS delta FROM %1$I p
        JOIN dues_account a ON a.tenant_id = p.tenant_id AND a.member_id = p.member_id WHERE a.member_active$q$, rel, sign)
  END
$$;

-- The statement adding the contributions of `source` (a query of tenant_id, path, dim, key, delta)
-- to member_rollup: netted per path, dimension, key and birth day; each distinct path's ancestors
-- listed once and joined (birth days: all but the path's own unit); netted per (ancestor, dim,
-- key) with a birth month's days gathered into its array. A change that moves nothing counted
-- writes nothing. Returned as text and run by the caller: a trigger's transition tables are
-- visible only to the trigger function itself.
-- `fresh`: the rows are known to be absent (a rebuild after deleting them): a plain insert.
CREATE OR REPLACE FUNCTION rollup_upsert(source text, fresh boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = members, public AS $$
  SELECT format($q$
    WITH c AS (
      SELECT tenant_id, path, dim, key, day, sum(delta)::int AS delta
        FROM (SELECT tenant_id, path,
                     CASE WHEN dim = 'birthDay' THEN 'birthMonth' ELSE dim END AS dim,
                     CASE WHEN dim = 'birthDay' THEN left(key, 7) ELSE key END AS key,
                     CASE WHEN dim = 'birthDay' THEN substr(key, 9, 2)::int END AS day,
                     delta
                FROM (%1$s) x) x
       GROUP BY 1, 2, 3, 4, 5
      HAVING sum(delta) <> 0),
    a AS MATERIALIZED (SELECT p.path, l.label::uuid AS ancestor_id, l.level = nlevel(p.path) AS own
            FROM (SELECT DISTINCT path FROM c) p CROSS JOIN LATERAL unnest(string_to_array(p.path::text, '.')) WITH ORDINALITY AS l(label, level)),
    d AS MATERIALIZED (
      SELECT c.tenant_id, a.ancestor_id, c.dim, c.key, sum(c.delta)::int AS count, NULL::int[] AS days
        FROM c JOIN a ON a.path = c.path
       WHERE c.dim <> 'birthMonth'
       GROUP BY 1, 2, 3, 4
      HAVING sum(c.delta) <> 0
      UNION ALL
      SELECT c.tenant_id, a.ancestor_id, c.dim, c.key, sum(c.delta)::int, %2$s
        FROM c JOIN a ON a.path = c.path AND NOT a.own
       WHERE c.dim = 'birthMonth'
       GROUP BY 1, 2, 3, 4
      HAVING %2$s <> array_fill(0, ARRAY[31]))
    INSERT INTO member_rollup AS r (tenant_id, ancestor_id, dim, key, count, days)
    SELECT * FROM d
     -- a fixed lock order: concurrent writers cannot deadlock on ancestor rows; a rebuild writes
     -- each unit's rows next to each other (a unit's statistics read a few pages)
     ORDER BY 1, 2, 3, 4
    %3$s$q$,
    source,
    rollup_days_sql('c.day', 'c.delta'),
    CASE WHEN fresh THEN '' ELSE format('ON CONFLICT (tenant_id, ancestor_id, dim, key) DO UPDATE SET count = r.count + excluded.count, days = %s',
      (SELECT 'CASE WHEN excluded.days IS NULL THEN r.days ELSE ARRAY['
              || string_agg(format('coalesce(r.days[%1$s], 0) + excluded.days[%1$s]', d), ', ' ORDER BY d) || '] END'
         FROM generate_series(1, 31) AS d)) END)
$$;

-- Existing summaries: birth rows are computed again from the members with the definitions above
-- (every tenant; the owner sees every tenant's rows while it does so).
ALTER TABLE member_rollup NO FORCE ROW LEVEL SECURITY;
ALTER TABLE member NO FORCE ROW LEVEL SECURITY;
DELETE FROM member_rollup WHERE dim IN ('birthMonth', 'birthDay');
DO $$
BEGIN
  SET LOCAL work_mem = '256MB';
  EXECUTE rollup_upsert(format('SELECT * FROM (%s) c WHERE c.dim = %L', rollup_contributions('member', 'member', 1), 'birthDay'), true);
END $$;
ALTER TABLE member FORCE ROW LEVEL SECURITY;
ALTER TABLE member_rollup FORCE ROW LEVEL SECURITY;

-- A statement's summary changes are computed in memory (an import of 100,000 members needs about
-- 100 MB), grouped by hashing: the planner cannot count a transition table's rows and would sort
-- them instead, spilling to disk. Only the final lock-order sort remains.
ALTER FUNCTION rollup_track() SET work_mem = '128MB';
ALTER FUNCTION rollup_track() SET enable_sort = off;

-- A member's unit. The foreign key checked it row by row, with a locking lookup of the unit for
-- every inserted member (about as long as the rows' own insert, for an import). An insert already
-- brings its paths, checked once for the statement (member_check_paths, 005); that check now also
-- takes the key-share locks the foreign key took, once per unit, so a unit cannot disappear under
-- the new members before they commit. A change of unit locks the new unit as it reads its path
-- (member_set_path), and a unit that still has members cannot leave the copy of the tree
-- (unit_path_keep_members). Nothing removes units from the copy today (retired units stay), so
-- this guard only keeps what the foreign key promised.
ALTER TABLE member DROP CONSTRAINT member_unit;

CREATE OR REPLACE FUNCTION member_check_paths() RETURNS trigger
LANGUAGE plpgsql SET search_path = members, public AS $$
DECLARE
  bad record;
BEGIN
  -- Lock first, then check with a fresh snapshot: a unit deleted meanwhile is seen as missing.
  -- Both once per unit (and path) the statement brings: an import of 100,000 members brings a
  -- few thousand.
  PERFORM 1 FROM unit_path u WHERE (u.tenant_id, u.unit_id) IN (SELECT n.tenant_id, n.org_unit_id FROM new_rows n) FOR KEY SHARE OF u;
  WITH n AS (SELECT DISTINCT tenant_id, org_unit_id, org_path FROM new_rows)
  SELECT n.org_unit_id, n.org_path INTO bad FROM n
    LEFT JOIN unit_path u ON u.tenant_id = n.tenant_id AND u.unit_id = n.org_unit_id
   WHERE u.path IS DISTINCT FROM n.org_path LIMIT 1;
  IF FOUND THEN
    SELECT n.id, n.org_unit_id INTO bad FROM new_rows n WHERE n.org_unit_id = bad.org_unit_id AND n.org_path = bad.org_path LIMIT 1;
    RAISE EXCEPTION 'Member % was given a path that is not the path of its organisation unit %.', bad.id, bad.org_unit_id;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION member_set_path() RETURNS trigger
LANGUAGE plpgsql SET search_path = members, public AS $$
BEGIN
  SELECT u.path INTO NEW.org_path FROM unit_path u WHERE u.tenant_id = NEW.tenant_id AND u.unit_id = NEW.org_unit_id FOR KEY SHARE OF u;
  IF NEW.org_path IS NULL THEN
    RAISE EXCEPTION 'Organisation unit % is not known to the members service (it may be another tenant''s or not yet synchronised).', NEW.org_unit_id;
  END IF;
  IF NEW.reported_in_community IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM unit_path u WHERE u.tenant_id = NEW.tenant_id AND u.unit_id = NEW.reported_in_community) THEN
    RAISE EXCEPTION 'Community % (reportedInCommunityId) is not a known organisation unit.', NEW.reported_in_community;
  END IF;
  RETURN NEW;
END $$;

-- Looks at the unit's whole tenant, whatever the caller's scope, and restores the caller's settings.
CREATE FUNCTION unit_path_keep_members() RETURNS trigger
LANGUAGE plpgsql SET search_path = members, public AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_scope text := current_setting('app.scope_unit', true);
  used boolean;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.tenant_id = OLD.tenant_id AND NEW.unit_id = OLD.unit_id THEN RETURN NEW; END IF;
  PERFORM set_config('app.tenant_id', OLD.tenant_id::text, true);
  PERFORM set_config('app.scope_unit', '', true);
  used := EXISTS (SELECT 1 FROM member m WHERE m.tenant_id = OLD.tenant_id AND m.org_unit_id = OLD.unit_id);
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  IF used THEN
    RAISE EXCEPTION 'Organisation unit % still has members.', OLD.unit_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER unit_path_keep_members BEFORE DELETE OR UPDATE OF tenant_id, unit_id ON unit_path FOR EACH ROW EXECUTE FUNCTION unit_path_keep_members();
