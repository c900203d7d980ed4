-- Member ledgers and statistics at scale:
--  * member_rollup: counts per (ancestor unit, dimension, key) over every member below the unit,
--    kept by statement-level triggers with transition tables, so a district's statistics read a
--    few hundred rows instead of the district's members. Dues accounts and payments contribute
--    their own dimensions; dues accounts and point events carry their member's org_path so a
--    transfer or a unit move re-attributes them through the same triggers. Payments (a row per
--    member and month, the largest table) carry no path: they count where their account counts. A member transferred to another tenant leaves
--    every summary, ledgers included (member_active on the ledger rows). rebuild_rollups() recomputes
--    a tenant's summaries from the same contribution definitions (bulk loads, repair).
--  * member_reported_in: in-service members per community they reported in to (双报到).
--  * dues (党费): the monthly amount per member, payments per month.
--  * points (积分): a ledger of point events; the balance of a year is the sum of its events.
--  * ledger_settings: per-tenant rules (dues brackets, points baseline, rules and exemptions);
--    absent values fall back to the defaults in domain/dues.ts and domain/points.ts.

CREATE TABLE member_rollup (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  ancestor_id uuid NOT NULL,
  dim text NOT NULL,
  key text NOT NULL,
  -- No CHECK (count >= 0): INSERT … ON CONFLICT checks the proposed row before resolving the conflict.
  count integer NOT NULL,
  PRIMARY KEY (tenant_id, ancestor_id, dim, key)
);
COMMENT ON TABLE member_rollup IS 'Counts over the subtree of ancestor_id (the unit itself included). Read only for units the caller can see.';
ALTER TABLE member_rollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_rollup FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_rollup USING (tenant_id = platform.current_tenant());

CREATE TABLE member_reported_in (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  community_id uuid NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (tenant_id, community_id)
);
COMMENT ON TABLE member_reported_in IS 'Party members with the IN_SERVICE category who reported in to community_id; summed over a subtree through unit_path.';
ALTER TABLE member_reported_in ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_reported_in FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_reported_in USING (tenant_id = platform.current_tenant());

-- Age bands are derived at read time from birth months ('birthMonth'); the few months next to a
-- band boundary are counted by day ('birthDay'), so every band is exact on any date.
CREATE INDEX member_birth ON member (tenant_id, birth_date);

CREATE TABLE ledger_settings (
  tenant_id uuid PRIMARY KEY DEFAULT platform.current_tenant(),
  -- [{ "from": 0, "rate": 0.005 }, …] on after-tax monthly income (yuan), ascending.
  dues_brackets jsonb,
  retiree_brackets jsonb,
  points_baseline integer CHECK (points_baseline BETWEEN 0 AND 1000),
  -- { "<RULE>": { "kind": "BASE|BONUS|DEDUCTION", "min": n, "max": n, "yearlyCap": n|null } }
  points_rules jsonb,
  points_exempt text[],
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE ledger_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_settings USING (tenant_id = platform.current_tenant());

-- The dues account of a Party member: what is owed per month from from_month on.
CREATE TABLE dues_account (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  member_id uuid NOT NULL REFERENCES member (id) ON DELETE CASCADE,
  org_path ltree NOT NULL,
  -- After-tax monthly income the amount was computed from (null when the amount was set directly).
  monthly_income numeric(12, 2) CHECK (monthly_income >= 0),
  monthly_amount numeric(10, 2) NOT NULL CHECK (monthly_amount >= 0),
  from_month date NOT NULL CHECK (extract(day FROM from_month) = 1),
  basis text NOT NULL,
  -- False once the member has been transferred to another tenant: the account leaves the summaries.
  member_active boolean NOT NULL DEFAULT true,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, member_id)
);
ALTER TABLE dues_account ENABLE ROW LEVEL SECURITY;
ALTER TABLE dues_account FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON dues_account
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(org_path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(org_path));

-- One payment per member and month, in full (collected on time and in full). Paid against the
-- member's account: visible with it (its scope) and counted where it counts.
CREATE TABLE dues_payment (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  member_id uuid NOT NULL REFERENCES member (id) ON DELETE CASCADE,
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  amount numeric(10, 2) NOT NULL CHECK (amount >= 0),
  paid_on date NOT NULL,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, member_id, month)
);
ALTER TABLE dues_payment ENABLE ROW LEVEL SECURITY;
ALTER TABLE dues_payment FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON dues_payment
  USING (tenant_id = platform.current_tenant()
         AND EXISTS (SELECT 1 FROM dues_account a WHERE a.tenant_id = dues_payment.tenant_id AND a.member_id = dues_payment.member_id))
  WITH CHECK (tenant_id = platform.current_tenant()
         AND EXISTS (SELECT 1 FROM dues_account a WHERE a.tenant_id = dues_payment.tenant_id AND a.member_id = dues_payment.member_id));

-- Point events; the balance of a year is the sum of that year's events (BASE includes the
-- yearly baseline, written as the first event of the member's year).
CREATE TABLE point_event (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  member_id uuid NOT NULL REFERENCES member (id) ON DELETE CASCADE,
  org_path ltree NOT NULL,
  year integer NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  kind text NOT NULL CHECK (kind IN ('BASE', 'BONUS', 'DEDUCTION')),
  rule text NOT NULL,
  points integer NOT NULL,
  -- Points asked for before a yearly cap clipped them.
  requested integer NOT NULL,
  occurred_on date NOT NULL,
  -- Natural key of an automatic event (e.g. 'service.completed:<orderId>'): applied once.
  source text,
  note text,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT point_event_sign CHECK ((kind = 'DEDUCTION' AND points <= 0) OR (kind <> 'DEDUCTION' AND points >= 0))
);
CREATE INDEX point_event_member ON point_event (tenant_id, member_id, year, occurred_on);
CREATE UNIQUE INDEX point_event_source ON point_event (tenant_id, source) WHERE source IS NOT NULL;
-- One baseline per member and year, however many writers start the year at once.
CREATE UNIQUE INDEX point_event_baseline ON point_event (tenant_id, member_id, year) WHERE rule = 'BASELINE';
ALTER TABLE point_event ENABLE ROW LEVEL SECURITY;
ALTER TABLE point_event FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON point_event
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(org_path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(org_path));

-- Dues accounts and point events carry their member's org_path (scope policy and rollup
-- attribution) and, for accounts, whether the member is still in the tenant.
CREATE FUNCTION ledger_set_path() RETURNS trigger
LANGUAGE plpgsql SET search_path = members, public AS $$
DECLARE
  active boolean;
BEGIN
  SELECT m.org_path, m.membership_status = 'ACTIVE' INTO NEW.org_path, active FROM member m WHERE m.tenant_id = NEW.tenant_id AND m.id = NEW.member_id;
  IF NEW.org_path IS NULL THEN
    RAISE EXCEPTION 'Member % is not known in this tenant.', NEW.member_id;
  END IF;
  IF TG_TABLE_NAME = 'dues_account' THEN NEW.member_active := active; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER dues_account_path BEFORE INSERT OR UPDATE OF member_id ON dues_account FOR EACH ROW EXECUTE FUNCTION ledger_set_path();
CREATE TRIGGER point_event_path BEFORE INSERT OR UPDATE OF member_id ON point_event FOR EACH ROW EXECUTE FUNCTION ledger_set_path();

-- What member rows of relation `rel` contribute to member_reported_in, as (tenant_id, community, delta).
CREATE FUNCTION reported_in_contributions(rel text, sign integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format($q$SELECT tenant_id, reported_in_community AS community, %2$s AS delta FROM %1$I
               WHERE reported_in_community IS NOT NULL AND stage IN ('PROBATIONARY', 'FULL') AND 'IN_SERVICE' = ANY (categories)
                 AND membership_status = 'ACTIVE'$q$, rel, sign)
$$;

-- What the rows of relation `rel` contribute to member_rollup, as (tenant_id, path, dim, key, delta).
-- Reported-in members count at the ancestors of the community they reported in to (not of their own unit).
CREATE FUNCTION rollup_contributions(tbl text, rel text, sign integer) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = members, public AS $$
  SELECT CASE tbl
    WHEN 'member' THEN format($q$
      SELECT tenant_id, org_path AS path, 'stage' AS dim, stage AS key, %2$s AS delta FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src
      UNION ALL SELECT tenant_id, org_path, 'category', c, %2$s FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src, unnest(categories) c WHERE stage IN ('PROBATIONARY', 'FULL')
      UNION ALL SELECT tenant_id, org_path, 'flag', f, %2$s FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src, unnest(flags) f WHERE stage IN ('PROBATIONARY', 'FULL')
      UNION ALL SELECT tenant_id, org_path, 'education', education, %2$s FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src WHERE stage IN ('PROBATIONARY', 'FULL')
      UNION ALL SELECT tenant_id, org_path, 'birthMonth', to_char(birth_date, 'YYYY-MM'), %2$s FROM (SELECT * FROM %1$I WHERE membership_status = 'ACTIVE') AS src WHERE stage IN ('PROBATIONARY', 'FULL')
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
-- to member_rollup, netted per (ancestor, dim, key): first per path, then spread over the path's
-- ancestors, so a bulk load or a subtree move costs one upsert per touched ancestor and key, and a
-- change that moves nothing counted costs nothing. Returned as text and run by the caller: a
-- trigger's transition tables are visible only to the trigger function itself.
-- `fresh`: the rows are known to be absent (a rebuild after deleting them): a plain insert.
CREATE FUNCTION rollup_upsert(source text, fresh boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format($q$
    INSERT INTO member_rollup AS r (tenant_id, ancestor_id, dim, key, count)
    SELECT c.tenant_id, a.label::uuid, c.dim, c.key, sum(c.delta)::int
      FROM (SELECT tenant_id, path, dim, key, sum(delta) AS delta FROM (%s) x GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0) c
      CROSS JOIN LATERAL unnest(string_to_array(c.path::text, '.')) AS a(label)
     GROUP BY 1, 2, 3, 4
    HAVING sum(c.delta) <> 0
     -- a fixed lock order: concurrent writers cannot deadlock on ancestor rows; a rebuild writes
     -- each unit's rows next to each other (a unit's statistics read a few pages)
     ORDER BY 1, 2, 3, 4
    %s$q$,
    source,
    CASE WHEN fresh THEN '' ELSE 'ON CONFLICT (tenant_id, ancestor_id, dim, key) DO UPDATE SET count = r.count + excluded.count' END)
$$;

-- One statement's changes to member, dues_account or dues_payment.
CREATE FUNCTION rollup_track() RETURNS trigger
LANGUAGE plpgsql SET search_path = members, public AS $$
DECLARE
  parts text[] := '{}';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN parts := parts || rollup_contributions(TG_TABLE_NAME, 'new_rows', 1); END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN parts := parts || rollup_contributions(TG_TABLE_NAME, 'old_rows', -1); END IF;
  EXECUTE rollup_upsert(array_to_string(parts, ' UNION ALL '));
  RETURN NULL;
END $$;


-- In-service Party members per community they reported in to.
CREATE FUNCTION reported_in_track() RETURNS trigger
LANGUAGE plpgsql SET search_path = members, public AS $$
DECLARE
  parts text[] := '{}';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN parts := parts || reported_in_contributions('new_rows', 1); END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN parts := parts || reported_in_contributions('old_rows', -1); END IF;
  EXECUTE format($q$
    INSERT INTO member_reported_in AS r (tenant_id, community_id, count)
    SELECT tenant_id, community, sum(delta)::int FROM (%s) x GROUP BY 1, 2 HAVING sum(delta) <> 0 ORDER BY 1, 2
    ON CONFLICT (tenant_id, community_id) DO UPDATE SET count = r.count + excluded.count$q$,
    array_to_string(parts, ' UNION ALL '));
  RETURN NULL;
END $$;

-- A member's ledger rows follow the member's path (transfer or unit move); their own triggers
-- then move their contributions.
CREATE FUNCTION ledger_follow_member() RETURNS trigger
LANGUAGE plpgsql SET search_path = members, public AS $$
BEGIN
  UPDATE dues_account l SET org_path = n.org_path, member_active = n.membership_status = 'ACTIVE' FROM new_rows n
   WHERE l.tenant_id = n.tenant_id AND l.member_id = n.id AND (l.org_path <> n.org_path OR l.member_active <> (n.membership_status = 'ACTIVE'));
  UPDATE point_event l SET org_path = n.org_path FROM new_rows n WHERE l.tenant_id = n.tenant_id AND l.member_id = n.id AND l.org_path <> n.org_path;
  RETURN NULL;
END $$;

CREATE TRIGGER member_rollup_insert AFTER INSERT ON member REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_track();
CREATE TRIGGER member_rollup_update AFTER UPDATE ON member REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_track();
CREATE TRIGGER member_rollup_delete AFTER DELETE ON member REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_track();
CREATE TRIGGER member_reported_in_insert AFTER INSERT ON member REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reported_in_track();
CREATE TRIGGER member_reported_in_update AFTER UPDATE ON member REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reported_in_track();
CREATE TRIGGER member_reported_in_delete AFTER DELETE ON member REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reported_in_track();
CREATE TRIGGER member_ledger_follow AFTER UPDATE ON member REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_follow_member();
CREATE TRIGGER dues_account_rollup_insert AFTER INSERT ON dues_account REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_track();
CREATE TRIGGER dues_account_rollup_update AFTER UPDATE ON dues_account REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_track();
CREATE TRIGGER dues_account_rollup_delete AFTER DELETE ON dues_account REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_track();
CREATE TRIGGER dues_payment_rollup_insert AFTER INSERT ON dues_payment REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_track();
CREATE TRIGGER dues_payment_rollup_update AFTER UPDATE ON dues_payment REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_track();
CREATE TRIGGER dues_payment_rollup_delete AFTER DELETE ON dues_payment REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_track();

-- Recomputes a tenant's summaries from its rows with the same contribution definitions the
-- triggers use: after a bulk load that ran without row triggers, or to repair. The caller sees
-- the whole tenant (a superuser, or the tenant's settings with no scope).
CREATE FUNCTION rebuild_rollups(p_tenant uuid) RETURNS void
LANGUAGE plpgsql SET search_path = members, public AS $$
BEGIN
  DELETE FROM member_rollup WHERE tenant_id = p_tenant;
  EXECUTE rollup_upsert(format('SELECT * FROM (%s) c WHERE c.tenant_id = %L',
    -- Payments are counted through their accounts.
    concat_ws(' UNION ALL ', rollup_contributions('member', 'member', 1), rollup_contributions('dues_account', 'dues_account', 1)), p_tenant), true);
  DELETE FROM member_reported_in WHERE tenant_id = p_tenant;
  EXECUTE format($q$
    INSERT INTO member_reported_in (tenant_id, community_id, count)
    SELECT tenant_id, community, sum(delta)::int FROM (%s) x WHERE tenant_id = %L GROUP BY 1, 2 HAVING sum(delta) <> 0$q$,
    reported_in_contributions('member', 1), p_tenant);
END $$;
