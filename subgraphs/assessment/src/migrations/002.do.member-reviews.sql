-- Campaign progress from a maintained per-street summary, existence that does not leak across
-- scopes, and the member-level reviews that run on the same engine: the democratic appraisal of
-- members (民主评议党员) and secretaries' reports on duty (述职评议).

-- Who may act on a target is now answered under the caller's scope: a target outside it is
-- NOT_FOUND, never "not yours" (which told a street that the other street's target exists).
DROP FUNCTION target_authority(uuid);

-- The grade in effect of a final target (the latest amendment's, else the result's): what the
-- grade distribution counts. Set when the result becomes final, moved by every amendment.
ALTER TABLE target ADD COLUMN final_grade text;
CREATE INDEX unit_path_kind ON unit_path (tenant_id, kind);

-- Targets per (campaign, reviewing street, state, grade in effect; '' = none yet), kept by
-- statement-level triggers on target. Progress over a subtree sums the rows of the streets in it
-- (≈100 per district) instead of counting its targets (≈1,500 per district).
CREATE TABLE progress_summary (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  campaign_id uuid NOT NULL,
  street_id uuid NOT NULL,
  state text NOT NULL,
  grade text NOT NULL,
  -- No CHECK (count >= 0): INSERT … ON CONFLICT checks the proposed row (a negative delta) first.
  count integer NOT NULL,
  PRIMARY KEY (tenant_id, street_id, campaign_id, state, grade)
);
COMMENT ON TABLE progress_summary IS 'Targets per campaign, street, state and grade in effect. Read only for streets the caller can see.';
ALTER TABLE progress_summary ENABLE ROW LEVEL SECURITY;
ALTER TABLE progress_summary FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON progress_summary USING (tenant_id = platform.current_tenant());

-- One statement's target changes netted per summary key: +1 for each new row, -1 for each old.
CREATE FUNCTION progress_track() RETURNS trigger
LANGUAGE plpgsql SET search_path = assessment, public AS $$
DECLARE
  added jsonb := '[]';
  removed jsonb := '[]';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT coalesce(jsonb_agg(jsonb_build_object('t', tenant_id, 'c', campaign_id, 's', street_id, 'st', state, 'g', coalesce(final_grade, ''))), '[]') INTO added FROM new_rows;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT coalesce(jsonb_agg(jsonb_build_object('t', tenant_id, 'c', campaign_id, 's', street_id, 'st', state, 'g', coalesce(final_grade, ''))), '[]') INTO removed FROM old_rows;
  END IF;
  INSERT INTO progress_summary AS p (tenant_id, campaign_id, street_id, state, grade, count)
  SELECT tenant_id, campaign_id, street_id, state, grade, delta FROM (
    SELECT (c->>'t')::uuid AS tenant_id, (c->>'c')::uuid AS campaign_id, (c->>'s')::uuid AS street_id, c->>'st' AS state, c->>'g' AS grade, sum(x.delta)::int AS delta
      FROM (SELECT e AS c, 1 AS delta FROM jsonb_array_elements(added) e
            UNION ALL SELECT e, -1 FROM jsonb_array_elements(removed) e) AS x(c, delta)
     GROUP BY 1, 2, 3, 4, 5
    HAVING sum(x.delta) <> 0
     ORDER BY 1, 3, 2, 4, 5  -- a fixed lock order: concurrent transitions cannot deadlock on summary rows
  ) d
  ON CONFLICT (tenant_id, street_id, campaign_id, state, grade) DO UPDATE SET count = p.count + excluded.count;
  RETURN NULL;
END $$;
CREATE TRIGGER progress_insert AFTER INSERT ON target REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION progress_track();
CREATE TRIGGER progress_update AFTER UPDATE ON target REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION progress_track();
CREATE TRIGGER progress_delete AFTER DELETE ON target REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION progress_track();

-- An amendment moves the grade in effect (and so the distribution) in its own transaction.
CREATE FUNCTION amendment_grade() RETURNS trigger
LANGUAGE plpgsql SET search_path = assessment, public AS $$
BEGIN
  UPDATE target SET final_grade = NEW.grade WHERE id = NEW.target_id;
  RETURN NULL;
END $$;
CREATE TRIGGER amendment_grade AFTER INSERT ON amendment FOR EACH ROW EXECUTE FUNCTION amendment_grade();

-- Existing rows, every tenant (the owner bypasses row-level security only while it is not forced).
ALTER TABLE target NO FORCE ROW LEVEL SECURITY;
ALTER TABLE result NO FORCE ROW LEVEL SECURITY;
ALTER TABLE amendment NO FORCE ROW LEVEL SECURITY;
ALTER TABLE progress_summary NO FORCE ROW LEVEL SECURITY;
ALTER TABLE target DISABLE TRIGGER progress_update;
UPDATE target t SET final_grade = coalesce((SELECT a.grade FROM amendment a WHERE a.target_id = t.id ORDER BY a.amended_at DESC LIMIT 1), r.grade)
  FROM result r WHERE r.target_id = t.id;
ALTER TABLE target ENABLE TRIGGER progress_update;
INSERT INTO progress_summary (tenant_id, campaign_id, street_id, state, grade, count)
SELECT tenant_id, campaign_id, street_id, state, coalesce(final_grade, ''), count(*) FROM target GROUP BY 1, 2, 3, 4, 5;
ALTER TABLE target FORCE ROW LEVEL SECURITY;
ALTER TABLE result FORCE ROW LEVEL SECURITY;
ALTER TABLE amendment FORCE ROW LEVEL SECURITY;
ALTER TABLE progress_summary FORCE ROW LEVEL SECURITY;

-- True when a street (or township) lies strictly above the path: such a subtree is counted from
-- its targets directly (a handful), not from the per-street summary.
CREATE FUNCTION under_street(p_path ltree) RETURNS boolean
LANGUAGE sql STABLE SET search_path = assessment, public AS $$
  SELECT p_path IS NOT NULL AND nlevel(p_path) > 1 AND EXISTS (
    SELECT 1 FROM unnest(string_to_array(subpath(p_path, 0, nlevel(p_path) - 1)::text, '.')) AS a(label)
      JOIN unit_path s ON s.tenant_id = platform.current_tenant() AND s.unit_id = a.label::uuid
     WHERE s.kind IN ('STREET', 'TOWNSHIP'))
$$;

-- ---------------------------------------------------------------------------------------------
-- Democratic appraisal of members (民主评议党员): a branch appraises its members for a year,
-- self-appraisal → peer appraisal → ballot → branch proposal → reported to the next tier, which
-- confirms. path is the branch's, fixed when it opens; confirmer_id is the unit above it.
CREATE TABLE appraisal (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  unit_id uuid NOT NULL,
  path ltree NOT NULL,
  confirmer_id uuid NOT NULL,
  year int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  state text NOT NULL DEFAULT 'SELF_APPRAISAL' CHECK (state IN ('SELF_APPRAISAL', 'PEER_APPRAISAL', 'BALLOT', 'REPORTED', 'CONFIRMED')),
  state_since timestamptz NOT NULL,
  excellent_max_share numeric(4,3) NOT NULL CHECK (excellent_max_share > 0 AND excellent_max_share <= 1),
  opened_by text NOT NULL,
  opened_at timestamptz NOT NULL,
  UNIQUE (tenant_id, unit_id, year)
);
CREATE INDEX appraisal_confirmer ON appraisal (tenant_id, confirmer_id, year);
ALTER TABLE appraisal ENABLE ROW LEVEL SECURITY;
ALTER TABLE appraisal FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON appraisal
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(path));

-- One appraised member: the self-appraisal, the ballot's votes per grade, the branch's proposal.
CREATE TABLE appraisal_member (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  appraisal_id uuid NOT NULL REFERENCES appraisal (id),
  member_id uuid NOT NULL,
  position int NOT NULL,
  self_summary text CHECK (self_summary IS NULL OR length(btrim(self_summary)) BETWEEN 1 AND 4000),
  self_grade text CHECK (self_grade IN ('EXCELLENT', 'QUALIFIED', 'BASICALLY_QUALIFIED', 'UNQUALIFIED')),
  self_at timestamptz,
  ballot jsonb,
  proposed_grade text CHECK (proposed_grade IN ('EXCELLENT', 'QUALIFIED', 'BASICALLY_QUALIFIED', 'UNQUALIFIED')),
  proposal_reason text,
  PRIMARY KEY (appraisal_id, member_id)
);
CREATE INDEX appraisal_member_member ON appraisal_member (tenant_id, member_id);
ALTER TABLE appraisal_member ENABLE ROW LEVEL SECURITY;
ALTER TABLE appraisal_member FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON appraisal_member
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM appraisal a WHERE a.id = appraisal_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM appraisal a WHERE a.id = appraisal_id));

-- Peer appraisal: one grade per rater and ratee (only counts are ever shown).
CREATE TABLE peer_rating (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  appraisal_id uuid NOT NULL REFERENCES appraisal (id),
  member_id uuid NOT NULL,
  rater_id uuid NOT NULL CHECK (rater_id <> member_id),
  grade text NOT NULL CHECK (grade IN ('EXCELLENT', 'QUALIFIED', 'BASICALLY_QUALIFIED', 'UNQUALIFIED')),
  rated_at timestamptz NOT NULL,
  PRIMARY KEY (appraisal_id, member_id, rater_id),
  FOREIGN KEY (appraisal_id, member_id) REFERENCES appraisal_member (appraisal_id, member_id)
);
ALTER TABLE peer_rating ENABLE ROW LEVEL SECURITY;
ALTER TABLE peer_rating FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON peer_rating
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM appraisal a WHERE a.id = appraisal_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM appraisal a WHERE a.id = appraisal_id));

CREATE TABLE appraisal_transition (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  appraisal_id uuid NOT NULL REFERENCES appraisal (id),
  action text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  comment text,
  actor text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX appraisal_transition_appraisal ON appraisal_transition (appraisal_id, id);
ALTER TABLE appraisal_transition ENABLE ROW LEVEL SECURITY;
ALTER TABLE appraisal_transition FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON appraisal_transition
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM appraisal a WHERE a.id = appraisal_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM appraisal a WHERE a.id = appraisal_id));

-- An unqualified member's follow-up (限期改正, then handling), opened when the grade is confirmed.
CREATE TABLE appraisal_follow_up (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  appraisal_id uuid NOT NULL REFERENCES appraisal (id),
  member_id uuid NOT NULL,
  due_on date NOT NULL,
  status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'DONE')),
  outcome text CHECK (outcome IS NULL OR length(btrim(outcome)) BETWEEN 1 AND 2000),
  closed_by text,
  closed_at timestamptz,
  UNIQUE (appraisal_id, member_id),
  FOREIGN KEY (appraisal_id, member_id) REFERENCES appraisal_member (appraisal_id, member_id)
);
ALTER TABLE appraisal_follow_up ENABLE ROW LEVEL SECURITY;
ALTER TABLE appraisal_follow_up FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON appraisal_follow_up
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM appraisal a WHERE a.id = appraisal_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM appraisal a WHERE a.id = appraisal_id));

-- ---------------------------------------------------------------------------------------------
-- Secretaries' reports on duty (述职评议): a unit's secretary reports for a year, reviewers rate
-- 好 / 较好 / 一般 / 差, and the unit above closes the review with the aggregated grade.
CREATE TABLE duty_report (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  unit_id uuid NOT NULL,
  path ltree NOT NULL,
  reviewer_id uuid NOT NULL,
  secretary_id uuid NOT NULL,
  year int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  report text NOT NULL CHECK (length(btrim(report)) BETWEEN 1 AND 20000),
  state text NOT NULL DEFAULT 'RATING' CHECK (state IN ('RATING', 'CLOSED')),
  submitted_by text NOT NULL,
  submitted_at timestamptz NOT NULL,
  score numeric(5,2),
  grade text CHECK (grade IN ('EXCELLENT', 'COMPETENT', 'BASICALLY_COMPETENT', 'INCOMPETENT')),
  closed_by text,
  closed_at timestamptz,
  UNIQUE (tenant_id, unit_id, year)
);
CREATE INDEX duty_report_secretary ON duty_report (tenant_id, secretary_id, year);
ALTER TABLE duty_report ENABLE ROW LEVEL SECURITY;
ALTER TABLE duty_report FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON duty_report
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(path));

CREATE TABLE duty_rating (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  report_id uuid NOT NULL REFERENCES duty_report (id),
  rater text NOT NULL,
  rating text NOT NULL CHECK (rating IN ('GOOD', 'FAIRLY_GOOD', 'AVERAGE', 'POOR')),
  comment text CHECK (comment IS NULL OR length(btrim(comment)) BETWEEN 1 AND 2000),
  rated_at timestamptz NOT NULL,
  PRIMARY KEY (report_id, rater)
);
ALTER TABLE duty_rating ENABLE ROW LEVEL SECURITY;
ALTER TABLE duty_rating FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON duty_rating
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM duty_report d WHERE d.id = report_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM duty_report d WHERE d.id = report_id));
