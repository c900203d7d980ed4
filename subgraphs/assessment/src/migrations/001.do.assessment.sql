-- Assessment: versioned templates, campaigns over target units, the tiered review of each target
-- (self-assessment → street review → district decision → public notice → final), immutable results
-- with recorded amendments, rectification of the lowest grade, and the copy of the unit tree this
-- service keeps from the organisation subgraph's events (it never reads organisation's tables).

-- One row per organisation unit, kept from organisation's 'org_unit.changed' events (as members does).
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

-- Tenant configuration: grade → pay coefficient (payroll integrators read it with the result).
CREATE TABLE tenant_settings (
  tenant_id uuid PRIMARY KEY DEFAULT platform.current_tenant(),
  pay_coefficients jsonb NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL
);
ALTER TABLE tenant_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_settings USING (tenant_id = platform.current_tenant());

-- A template version. Dimensions (with their indicators) and grading rules are validated by the
-- service and stored whole: a version never changes once written.
CREATE TABLE template (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  key text NOT NULL CHECK (length(btrim(key)) BETWEEN 1 AND 60),
  version int NOT NULL CHECK (version >= 1),
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  period text NOT NULL CHECK (period IN ('YEAR', 'HALF_YEAR', 'QUARTER')),
  dimensions jsonb NOT NULL,
  grading jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (tenant_id, key, version)
);
ALTER TABLE template ENABLE ROW LEVEL SECURITY;
ALTER TABLE template FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON template USING (tenant_id = platform.current_tenant());
CREATE FUNCTION template_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'A template version never changes; create a new version instead.' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER template_immutable BEFORE UPDATE OR DELETE ON template FOR EACH ROW EXECUTE FUNCTION template_immutable();

-- A campaign keeps the template version it started with.
CREATE TABLE campaign (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  template_id uuid NOT NULL REFERENCES template (id),
  owner_unit_id uuid NOT NULL,
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  self_assessment_due timestamptz NOT NULL,
  street_review_due timestamptz NOT NULL,
  district_review_due timestamptz NOT NULL,
  notice_days int NOT NULL CHECK (notice_days BETWEEN 1 AND 30),
  opened_by text NOT NULL,
  opened_at timestamptz NOT NULL,
  CHECK (self_assessment_due <= street_review_due AND street_review_due <= district_review_due)
);
CREATE INDEX campaign_tenant ON campaign (tenant_id, opened_at DESC);
ALTER TABLE campaign ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaign FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON campaign USING (tenant_id = platform.current_tenant());

-- One target unit of a campaign and where it stands. path, street_id and decider_id are fixed when
-- the campaign opens: who reviews and who decides does not move under a running campaign.
-- These rows are the per-unit summaries that progress and grade distributions are counted from;
-- every transition updates its row in the same transaction, so the counts are always exact.
CREATE TABLE target (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  campaign_id uuid NOT NULL REFERENCES campaign (id),
  unit_id uuid NOT NULL,
  path ltree NOT NULL,
  street_id uuid NOT NULL,
  decider_id uuid NOT NULL,
  state text NOT NULL DEFAULT 'SELF_ASSESSMENT' CHECK (state IN ('SELF_ASSESSMENT', 'STREET_REVIEW', 'DISTRICT_REVIEW', 'NOTICE', 'FINAL')),
  state_since timestamptz NOT NULL,
  proposed_score numeric(6,2),
  proposed_grade text,
  proposed_stars int,
  vetoed boolean NOT NULL DEFAULT false,
  notice_ends_at timestamptz,
  UNIQUE (campaign_id, unit_id)
);
CREATE INDEX target_campaign_street ON target (campaign_id, street_id, state);
CREATE INDEX target_campaign_decider ON target (campaign_id, decider_id, state);
CREATE INDEX target_path_gist ON target USING gist (path);
CREATE INDEX target_unit ON target (tenant_id, unit_id);
ALTER TABLE target ENABLE ROW LEVEL SECURITY;
ALTER TABLE target FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON target
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(path));

-- Scores per tier and indicator. Computed indicators carry the figures they were computed from
-- (source), so a reviewer sees what the unit saw and later data changes move nothing.
CREATE TABLE score (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  target_id uuid NOT NULL REFERENCES target (id),
  tier text NOT NULL CHECK (tier IN ('SELF', 'STREET', 'DISTRICT')),
  indicator_key text NOT NULL,
  points numeric(6,2) NOT NULL CHECK (points >= 0),
  vetoed boolean NOT NULL DEFAULT false,
  reason text,
  source jsonb,
  scored_by text NOT NULL,
  scored_at timestamptz NOT NULL,
  PRIMARY KEY (target_id, tier, indicator_key)
);
ALTER TABLE score ENABLE ROW LEVEL SECURITY;
ALTER TABLE score FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON score
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM target t WHERE t.id = target_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM target t WHERE t.id = target_id));

-- Evidence (files or links) the unit attaches to its self-assessment.
CREATE TABLE evidence (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  target_id uuid NOT NULL REFERENCES target (id),
  indicator_key text,
  kind text NOT NULL CHECK (kind IN ('FILE', 'LINK')),
  title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
  url text NOT NULL CHECK (url ~ '^(https?|s3)://'),
  added_by text NOT NULL,
  added_at timestamptz NOT NULL
);
CREATE INDEX evidence_target ON evidence (target_id, added_at);
ALTER TABLE evidence ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON evidence
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM target t WHERE t.id = target_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM target t WHERE t.id = target_id));

-- Every transition of a target with who did it and why (send-backs carry the reviewer's comments).
CREATE TABLE transition (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  target_id uuid NOT NULL REFERENCES target (id),
  action text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  comment text,
  actor text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX transition_target ON transition (target_id, id);
ALTER TABLE transition ENABLE ROW LEVEL SECURITY;
ALTER TABLE transition FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON transition
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM target t WHERE t.id = target_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM target t WHERE t.id = target_id));

-- Objections lodged during the public notice; every one must be answered before the result is final.
CREATE TABLE objection (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  target_id uuid NOT NULL REFERENCES target (id),
  text text NOT NULL CHECK (length(btrim(text)) BETWEEN 1 AND 2000),
  lodged_by text NOT NULL,
  lodged_at timestamptz NOT NULL,
  answer text CHECK (answer IS NULL OR length(btrim(answer)) BETWEEN 1 AND 2000),
  answered_by text,
  answered_at timestamptz
);
CREATE INDEX objection_target ON objection (target_id, lodged_at);
ALTER TABLE objection ENABLE ROW LEVEL SECURITY;
ALTER TABLE objection FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON objection
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM target t WHERE t.id = target_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM target t WHERE t.id = target_id));

-- Final results: written once when the notice ends; never updated or deleted (amendments record corrections).
CREATE TABLE result (
  target_id uuid PRIMARY KEY REFERENCES target (id),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  campaign_id uuid NOT NULL REFERENCES campaign (id),
  unit_id uuid NOT NULL,
  path ltree NOT NULL,
  street_id uuid NOT NULL,
  decider_id uuid NOT NULL,
  score numeric(6,2) NOT NULL,
  grade text NOT NULL,
  stars int,
  vetoed boolean NOT NULL,
  pay_coefficient numeric(5,3),
  finalised_at timestamptz NOT NULL
);
CREATE INDEX result_unit ON result (tenant_id, unit_id, finalised_at DESC);
CREATE INDEX result_campaign_street ON result (campaign_id, street_id);
CREATE INDEX result_campaign_decider ON result (campaign_id, decider_id);
ALTER TABLE result ENABLE ROW LEVEL SECURITY;
ALTER TABLE result FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope_read ON result FOR SELECT USING (tenant_id = platform.current_tenant() AND platform.in_scope(path));
CREATE POLICY tenant_scope_insert ON result FOR INSERT WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(path));
CREATE FUNCTION result_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'A final result never changes; record an amendment with a reason instead.' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER result_immutable BEFORE UPDATE OR DELETE ON result FOR EACH ROW EXECUTE FUNCTION result_immutable();

-- Corrections of a final result, each with its reason; the latest one is the result in effect.
CREATE TABLE amendment (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  target_id uuid NOT NULL REFERENCES result (target_id),
  score numeric(6,2) NOT NULL,
  grade text NOT NULL,
  stars int,
  pay_coefficient numeric(5,3),
  reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
  amended_by text NOT NULL,
  amended_at timestamptz NOT NULL
);
CREATE INDEX amendment_target ON amendment (target_id, amended_at);
ALTER TABLE amendment ENABLE ROW LEVEL SECURITY;
ALTER TABLE amendment FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON amendment
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM result r WHERE r.target_id = amendment.target_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM result r WHERE r.target_id = amendment.target_id));

-- The lowest grade must rectify by a deadline; the street records the follow-up.
CREATE TABLE rectification (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  target_id uuid NOT NULL UNIQUE REFERENCES result (target_id),
  due_on date NOT NULL,
  status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'DONE')),
  follow_up text,
  closed_by text,
  closed_at timestamptz
);
ALTER TABLE rectification ENABLE ROW LEVEL SECURITY;
ALTER TABLE rectification FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON rectification
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM result r WHERE r.target_id = rectification.target_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM result r WHERE r.target_id = rectification.target_id));

-- Applies one organisation 'org_unit.changed' event for p_tenant; idempotent on the unit's seq.
-- Runs under the event's tenant (and no scope) whatever the caller's settings, then restores them.
CREATE FUNCTION apply_unit_changed(p_tenant uuid, p_seq bigint, p_payload jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = assessment, public AS $$
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
  INSERT INTO unit_event_cursor AS c (tenant_id, last_seq) VALUES (p_tenant, p_seq)
    ON CONFLICT (tenant_id) DO UPDATE SET last_seq = greatest(c.last_seq, excluded.last_seq), updated_at = now();
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  RETURN coalesce(applied, false);
END $$;

-- Who may act on a target, answered across scopes within the tenant: a street administrator asking
-- about another street's community learns it is not theirs (FORBIDDEN), not that it is missing.
CREATE FUNCTION target_authority(p_id uuid) RETURNS TABLE (unit_id uuid, street_id uuid, decider_id uuid, state text)
LANGUAGE plpgsql SET search_path = assessment, public AS $$
DECLARE
  prev_scope text := current_setting('app.scope_unit', true);
  r record;
BEGIN
  PERFORM set_config('app.scope_unit', '', true);
  SELECT t.unit_id, t.street_id, t.decider_id, t.state INTO r FROM target t WHERE t.id = p_id;
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  IF FOUND THEN
    unit_id := r.unit_id; street_id := r.street_id; decider_id := r.decider_id; state := r.state;
    RETURN NEXT;
  END IF;
END $$;

-- Ranks of final results (stars, then score, in effect, amendments included) within street and decider, over
-- the whole campaign whatever the caller's scope; returned only for the targets the caller passes
-- (those it could read).
CREATE FUNCTION result_ranks(p_targets uuid[]) RETURNS TABLE (target_id uuid, rank_in_street int, rank_in_district int)
LANGUAGE plpgsql SET search_path = assessment, public AS $$
DECLARE
  prev_scope text := current_setting('app.scope_unit', true);
BEGIN
  PERFORM set_config('app.scope_unit', '', true);
  RETURN QUERY
    WITH campaigns AS (SELECT DISTINCT r.campaign_id FROM result r WHERE r.target_id = ANY (p_targets)),
         effective AS (
           SELECT r.target_id, r.street_id, r.decider_id, r.campaign_id, coalesce(a.score, r.score) AS score,
                  CASE WHEN a.target_id IS NULL THEN r.stars ELSE a.stars END AS stars
             FROM result r JOIN campaigns c ON c.campaign_id = r.campaign_id
             LEFT JOIN LATERAL (SELECT am.target_id, am.score, am.stars FROM amendment am WHERE am.target_id = r.target_id ORDER BY am.amended_at DESC LIMIT 1) a ON true),
         ranked AS (
           SELECT e.target_id,
                  (rank() OVER (PARTITION BY e.campaign_id, e.street_id ORDER BY e.stars DESC NULLS LAST, e.score DESC))::int AS rs,
                  (rank() OVER (PARTITION BY e.campaign_id, e.decider_id ORDER BY e.stars DESC NULLS LAST, e.score DESC))::int AS rd
             FROM effective e)
    SELECT k.target_id, k.rs, k.rd FROM ranked k WHERE k.target_id = ANY (p_targets);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
END $$;
