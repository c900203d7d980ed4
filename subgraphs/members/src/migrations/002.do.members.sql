-- Members: identity, categories and status flags, the recruitment pipeline, encrypted personal
-- data with an audit of every unmasked read, and the copy of each unit's ancestry this service
-- keeps from the organisation subgraph's events (it never reads organisation's tables).

-- One row per organisation unit, kept from organisation's 'org_unit.changed' events.
-- path is the unit's ancestry as organisation stores it (ltree of unit ids without hyphens);
-- last_seq is the per-tenant outbox seq of the event that wrote the row (idempotent replays).
CREATE TABLE unit_path (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  unit_id uuid NOT NULL,
  parent_id uuid,
  kind text NOT NULL,
  name text NOT NULL,
  status text NOT NULL,
  path ltree NOT NULL,
  last_seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, unit_id)
);
CREATE INDEX unit_path_gist ON unit_path USING gist (path);
ALTER TABLE unit_path ENABLE ROW LEVEL SECURITY;
ALTER TABLE unit_path FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON unit_path USING (tenant_id = platform.current_tenant());

-- Highest organisation outbox seq applied per tenant: where the event transport resumes.
CREATE TABLE unit_event_cursor (
  tenant_id uuid PRIMARY KEY DEFAULT platform.current_tenant(),
  last_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE unit_event_cursor ENABLE ROW LEVEL SECURITY;
ALTER TABLE unit_event_cursor FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON unit_event_cursor USING (tenant_id = platform.current_tenant());

-- The placeholder member table holds no rows yet, so required columns can be added directly.
ALTER TABLE member
  ADD COLUMN gender text NOT NULL CHECK (gender IN ('MALE', 'FEMALE')),
  ADD COLUMN birth_date date NOT NULL CHECK (birth_date >= '1890-01-01'),
  ADD COLUMN ethnicity text NOT NULL CHECK (length(btrim(ethnicity)) BETWEEN 1 AND 20),
  ADD COLUMN education text NOT NULL CHECK (education IN ('PRIMARY', 'JUNIOR_SECONDARY', 'SENIOR_SECONDARY', 'VOCATIONAL', 'JUNIOR_COLLEGE', 'BACHELOR', 'POSTGRADUATE')),
  ADD COLUMN phone text CHECK (phone ~ '^[0-9+ -]{5,20}$'),
  -- AES-256-GCM ciphertext written by the service ('v1.<iv>.<tag>.<data>', base64); the key never reaches the database.
  ADD COLUMN id_card_cipher text NOT NULL,
  -- What everyone may see: first four and last four characters.
  ADD COLUMN id_card_masked text NOT NULL,
  -- HMAC of the number: finds duplicates without decrypting.
  ADD COLUMN id_card_hash text NOT NULL,
  ADD COLUMN stage text NOT NULL CHECK (stage IN ('APPLICANT', 'ACTIVIST', 'DEVELOPMENT_TARGET', 'PROBATIONARY', 'FULL')),
  ADD COLUMN applied_on date,
  ADD COLUMN activist_on date,
  ADD COLUMN target_on date,
  -- 入党日期: admission as a probationary member.
  ADD COLUMN joined_on date,
  ADD COLUMN full_on date,
  ADD COLUMN categories text[] NOT NULL DEFAULT '{}' CHECK (categories <@ ARRAY['SELF_MANAGED', 'IN_SERVICE', 'FLOATING_OUT', 'FLOATING_IN', 'RETIRED', 'LAID_OFF', 'NEW_ORGANISATION', 'HARDSHIP', 'ELDERLY']),
  ADD COLUMN flags text[] NOT NULL DEFAULT '{}' CHECK (flags <@ ARRAY['LOST_CONTACT', 'NOMINAL_ATTACHMENT', 'POCKET_MEMBER', 'INVISIBLE_MEMBER']),
  ADD COLUMN reported_in_community uuid,
  ADD COLUMN org_path ltree NOT NULL,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT member_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 50),
  ADD CONSTRAINT member_admitted_has_join_date CHECK (stage NOT IN ('PROBATIONARY', 'FULL') OR joined_on IS NOT NULL),
  ADD CONSTRAINT member_full_on_only_full CHECK (full_on IS NULL OR stage = 'FULL'),
  ADD CONSTRAINT member_probation_one_year CHECK (full_on IS NULL OR full_on >= joined_on + interval '1 year'),
  ADD CONSTRAINT member_reporting_in_service CHECK (reported_in_community IS NULL OR 'IN_SERVICE' = ANY (categories)),
  ADD CONSTRAINT member_unit FOREIGN KEY (tenant_id, org_unit_id) REFERENCES unit_path (tenant_id, unit_id),
  ADD CONSTRAINT member_community FOREIGN KEY (tenant_id, reported_in_community) REFERENCES unit_path (tenant_id, unit_id);
CREATE UNIQUE INDEX member_id_card ON member (tenant_id, id_card_hash);
CREATE INDEX member_org_path_gist ON member USING gist (org_path);
CREATE INDEX member_name ON member (tenant_id, name, id);

-- The member row carries its unit's path so the scope policy is answerable from the row alone.
CREATE FUNCTION member_set_path() RETURNS trigger
LANGUAGE plpgsql SET search_path = members, public AS $$
BEGIN
  SELECT u.path INTO NEW.org_path FROM unit_path u WHERE u.tenant_id = NEW.tenant_id AND u.unit_id = NEW.org_unit_id;
  IF NEW.org_path IS NULL THEN
    RAISE EXCEPTION 'Organisation unit % is not known to the members service (it may be another tenant''s or not yet synchronised).', NEW.org_unit_id;
  END IF;
  IF NEW.reported_in_community IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM unit_path u WHERE u.tenant_id = NEW.tenant_id AND u.unit_id = NEW.reported_in_community) THEN
    RAISE EXCEPTION 'Community % (reportedInCommunityId) is not a known organisation unit.', NEW.reported_in_community;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER member_set_path BEFORE INSERT OR UPDATE OF org_unit_id, reported_in_community ON member
  FOR EACH ROW EXECUTE FUNCTION member_set_path();

DROP POLICY tenant_isolation ON member;
CREATE POLICY tenant_scope ON member
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(org_path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(org_path));

-- Every recruitment step with its date and approver (入党申请 → 积极分子 → 发展对象 → 预备党员 → 转正).
CREATE TABLE recruitment_step (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  member_id uuid NOT NULL REFERENCES member (id),
  from_stage text,
  to_stage text NOT NULL,
  effective_on date NOT NULL,
  approved_by text,
  note text,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recruitment_step_member ON recruitment_step (member_id, effective_on);
ALTER TABLE recruitment_step ENABLE ROW LEVEL SECURITY;
ALTER TABLE recruitment_step FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON recruitment_step
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM member m WHERE m.id = member_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM member m WHERE m.id = member_id));

-- Append-only audit of unmasked personal-data reads: no UPDATE or DELETE policy exists.
CREATE TABLE personal_data_read (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  member_id uuid NOT NULL,
  field text NOT NULL,
  principal text NOT NULL,
  request_id text NOT NULL,
  read_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX personal_data_read_member ON personal_data_read (tenant_id, member_id, read_at);
ALTER TABLE personal_data_read ENABLE ROW LEVEL SECURITY;
ALTER TABLE personal_data_read FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_read ON personal_data_read FOR SELECT USING (tenant_id = platform.current_tenant());
CREATE POLICY audit_append ON personal_data_read FOR INSERT WITH CHECK (tenant_id = platform.current_tenant());

-- Applies one organisation 'org_unit.changed' event for p_tenant. Idempotent: an event whose seq
-- is not newer than what the unit's row holds changes nothing. Members of the unit get its new path.
-- Runs under the event's tenant (and no scope) whatever the caller's settings, then restores them.
CREATE FUNCTION apply_unit_changed(p_tenant uuid, p_seq bigint, p_payload jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = members, public AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_scope text := current_setting('app.scope_unit', true);
  new_path ltree := (p_payload->>'path')::ltree;
  unit uuid := (p_payload->>'id')::uuid;
  applied boolean;
BEGIN
  IF unit IS NULL OR new_path IS NULL THEN
    RAISE EXCEPTION 'org_unit.changed event % of tenant % has no id or path.', p_seq, p_tenant;
  END IF;
  PERFORM set_config('app.tenant_id', p_tenant::text, true);
  PERFORM set_config('app.scope_unit', '', true);
  INSERT INTO unit_path AS u (tenant_id, unit_id, parent_id, kind, name, status, path, last_seq)
    VALUES (p_tenant, unit, (p_payload->>'parentId')::uuid, p_payload->>'kind', p_payload->>'name', p_payload->>'status', new_path, p_seq)
    ON CONFLICT (tenant_id, unit_id) DO UPDATE
      SET parent_id = excluded.parent_id, kind = excluded.kind, name = excluded.name, status = excluded.status,
          path = excluded.path, last_seq = excluded.last_seq, updated_at = now()
      WHERE u.last_seq < excluded.last_seq
    RETURNING true INTO applied;
  IF applied THEN
    UPDATE member SET org_path = new_path WHERE tenant_id = p_tenant AND org_unit_id = unit AND org_path <> new_path;
  END IF;
  INSERT INTO unit_event_cursor AS c (tenant_id, last_seq) VALUES (p_tenant, p_seq)
    ON CONFLICT (tenant_id) DO UPDATE SET last_seq = greatest(c.last_seq, excluded.last_seq), updated_at = now();
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  RETURN coalesce(applied, false);
END $$;
