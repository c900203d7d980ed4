-- Member processes: transfer of organisation relation (组织关系转接, also across tenants), in-service
-- members reporting in to their residential community (双报到), post claiming (认领岗位) with activity
-- records, quarterly feedback and the annual evaluation. Every step is audited; times come from the
-- service's clock (passed in), never from now(), so tests and late records stay exact.

-- Tenant configuration of the processes; a tenant without a row uses the defaults below.
CREATE TABLE process_setting (
  tenant_id uuid PRIMARY KEY DEFAULT platform.current_tenant(),
  -- Validity of a transfer letter (介绍信) in months (3 within a province is common practice).
  letter_valid_months int NOT NULL DEFAULT 3 CHECK (letter_valid_months BETWEEN 1 AND 12),
  -- 双报到 minimums: contacts with residents per quarter, activities per year.
  contacts_per_quarter int NOT NULL DEFAULT 2 CHECK (contacts_per_quarter BETWEEN 0 AND 50),
  activities_per_year int NOT NULL DEFAULT 4 CHECK (activities_per_year BETWEEN 0 AND 200),
  -- How many public-service posts an in-service member may hold at once (1–2 in practice).
  max_posts_per_member int NOT NULL DEFAULT 2 CHECK (max_posts_per_member BETWEEN 1 AND 5),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL
);
ALTER TABLE process_setting ENABLE ROW LEVEL SECURITY;
ALTER TABLE process_setting FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON process_setting USING (tenant_id = platform.current_tenant());

-- The tenant's public-service post categories; a tenant without rows uses the seven defaults the service knows.
CREATE TABLE post_category (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  code text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{1,39}$'),
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 40),
  position int NOT NULL,
  PRIMARY KEY (tenant_id, code)
);
ALTER TABLE post_category ENABLE ROW LEVEL SECURITY;
ALTER TABLE post_category FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON post_category USING (tenant_id = platform.current_tenant());

-- A member handed over to another tenant stays here for history but no longer counts.
ALTER TABLE member
  ADD COLUMN membership_status text NOT NULL DEFAULT 'ACTIVE' CHECK (membership_status IN ('ACTIVE', 'TRANSFERRED_OUT')),
  ADD COLUMN transferred_out_at timestamptz;

-- ---------------------------------------------------------------------------------------------
-- Transfers. The sending tenant's row; inside a tenant it also names the receiving unit.
-- Both sides see it: the policy admits principals with either unit in scope (paths looked up in
-- the unit copy, so unit moves are followed).
CREATE TABLE transfer (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  member_id uuid NOT NULL REFERENCES member (id),
  member_name text NOT NULL,
  from_unit_id uuid NOT NULL,
  to_unit_id uuid,
  to_tenant_id uuid,
  status text NOT NULL CHECK (status IN ('INITIATED', 'RELEASED', 'RECEIVED', 'COMPLETED', 'CANCELLED')),
  reason text CHECK (length(reason) <= 500),
  dues_paid_until text CHECK (dues_paid_until ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  letter_number text,
  letter_issued_on date,
  letter_expires_on date,
  receipt_number text,
  received_on date,
  initiated_at timestamptz NOT NULL,
  completed_at timestamptz,
  CONSTRAINT transfer_one_destination CHECK ((to_unit_id IS NULL) <> (to_tenant_id IS NULL)),
  CONSTRAINT transfer_other_tenant CHECK (to_tenant_id IS NULL OR to_tenant_id <> tenant_id),
  CONSTRAINT transfer_released_has_letter CHECK (status IN ('INITIATED', 'CANCELLED') OR (letter_number IS NOT NULL AND letter_expires_on IS NOT NULL)),
  CONSTRAINT transfer_received_has_receipt CHECK (status NOT IN ('RECEIVED', 'COMPLETED') OR receipt_number IS NOT NULL),
  FOREIGN KEY (tenant_id, from_unit_id) REFERENCES unit_path (tenant_id, unit_id),
  FOREIGN KEY (tenant_id, to_unit_id) REFERENCES unit_path (tenant_id, unit_id)
);
-- One open transfer per member.
CREATE UNIQUE INDEX transfer_open ON transfer (member_id) WHERE status IN ('INITIATED', 'RELEASED', 'RECEIVED');
CREATE INDEX transfer_from ON transfer (tenant_id, from_unit_id);
CREATE INDEX transfer_to ON transfer (tenant_id, to_unit_id);
ALTER TABLE transfer ENABLE ROW LEVEL SECURITY;
ALTER TABLE transfer FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON transfer
  USING (tenant_id = platform.current_tenant() AND EXISTS (
    SELECT 1 FROM unit_path u WHERE u.tenant_id = transfer.tenant_id AND u.unit_id IN (transfer.from_unit_id, transfer.to_unit_id) AND platform.in_scope(u.path)))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (
    SELECT 1 FROM unit_path u WHERE u.tenant_id = transfer.tenant_id AND u.unit_id IN (transfer.from_unit_id, transfer.to_unit_id) AND platform.in_scope(u.path)));

-- Audit of every transition: who, when, from which state.
CREATE TABLE transfer_step (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  transfer_id uuid NOT NULL REFERENCES transfer (id),
  from_status text,
  to_status text NOT NULL,
  note text,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL
);
CREATE INDEX transfer_step_transfer ON transfer_step (transfer_id, id);
ALTER TABLE transfer_step ENABLE ROW LEVEL SECURITY;
ALTER TABLE transfer_step FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON transfer_step
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM transfer t WHERE t.id = transfer_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM transfer t WHERE t.id = transfer_id));

-- The receiving tenant's inbox: exactly the handed-over member's record and the letter, nothing
-- else of the sending tenant. The id is the sending tenant's transfer id (the letter's reference).
-- The ID card stays encrypted as the sending tenant stored it (the service decrypts it with the
-- sending tenant and member ids as associated data and re-encrypts it for the accepted member).
CREATE TABLE transfer_inbox (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  from_tenant_id uuid NOT NULL,
  from_member_id uuid NOT NULL,
  from_organisation text NOT NULL,
  name text NOT NULL,
  gender text NOT NULL,
  birth_date date NOT NULL,
  ethnicity text NOT NULL,
  education text NOT NULL,
  phone text,
  id_card_cipher text NOT NULL,
  id_card_masked text NOT NULL,
  stage text NOT NULL,
  applied_on date,
  activist_on date,
  target_on date,
  joined_on date,
  full_on date,
  categories text[] NOT NULL,
  letter_number text NOT NULL,
  letter_issued_on date NOT NULL,
  letter_expires_on date NOT NULL,
  dues_paid_until text,
  reason text,
  status text NOT NULL CHECK (status IN ('PENDING', 'ACCEPTED', 'WITHDRAWN')),
  accepted_member_id uuid REFERENCES member (id),
  accepted_unit_id uuid,
  receipt_number text,
  received_on date,
  arrived_at timestamptz NOT NULL,
  CONSTRAINT transfer_inbox_accepted CHECK (status <> 'ACCEPTED' OR (accepted_member_id IS NOT NULL AND receipt_number IS NOT NULL))
);
CREATE INDEX transfer_inbox_tenant ON transfer_inbox (tenant_id, status, arrived_at);
ALTER TABLE transfer_inbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE transfer_inbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON transfer_inbox USING (tenant_id = platform.current_tenant());

-- Hands a released cross-tenant transfer's member over to the receiving tenant's inbox. Runs as
-- the owner (SECURITY DEFINER) because it writes a row of another tenant; what it writes is
-- derived only from the caller's own transfer and member rows, read under the caller's tenant and
-- scope, so a caller can never write anything but its own member's letter into another inbox.
CREATE FUNCTION hand_over_member(p_transfer uuid, p_at timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = members, public AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_scope text := current_setting('app.scope_unit', true);
  t transfer%ROWTYPE;
  m member%ROWTYPE;
  sender text;
BEGIN
  SELECT * INTO t FROM transfer WHERE id = p_transfer;
  IF NOT FOUND OR t.to_tenant_id IS NULL OR t.status <> 'RELEASED' THEN
    RAISE EXCEPTION 'Transfer % is not a released transfer to another tenant of the caller.', p_transfer;
  END IF;
  SELECT * INTO m FROM member WHERE id = t.member_id;
  IF NOT FOUND THEN RAISE EXCEPTION 'The member of transfer % is outside the caller''s scope.', p_transfer; END IF;
  SELECT u.name INTO sender FROM unit_path u WHERE u.tenant_id = t.tenant_id AND u.unit_id = t.from_unit_id;
  PERFORM set_config('app.tenant_id', t.to_tenant_id::text, true);
  PERFORM set_config('app.scope_unit', '', true);
  INSERT INTO transfer_inbox (id, tenant_id, from_tenant_id, from_member_id, from_organisation, name, gender, birth_date, ethnicity,
      education, phone, id_card_cipher, id_card_masked, stage, applied_on, activist_on, target_on, joined_on, full_on, categories,
      letter_number, letter_issued_on, letter_expires_on, dues_paid_until, reason, status, arrived_at)
    VALUES (t.id, t.to_tenant_id, t.tenant_id, m.id, sender, m.name, m.gender, m.birth_date, m.ethnicity,
      m.education, m.phone, m.id_card_cipher, m.id_card_masked, m.stage, m.applied_on, m.activist_on, m.target_on, m.joined_on, m.full_on,
      array(SELECT c FROM unnest(m.categories) c WHERE c NOT IN ('FLOATING_OUT')),
      t.letter_number, t.letter_issued_on, t.letter_expires_on, t.dues_paid_until, t.reason, 'PENDING', p_at);
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
END $$;

-- True when a tenant is known to this service (it has at least one unit): a transfer may be
-- addressed to it. Reveals nothing else about the other tenant.
CREATE FUNCTION tenant_known(p_tenant uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = members, public AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_scope text := current_setting('app.scope_unit', true);
  known boolean;
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant::text, true);
  PERFORM set_config('app.scope_unit', '', true);
  known := EXISTS (SELECT 1 FROM unit_path WHERE tenant_id = p_tenant);
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  RETURN known;
END $$;

-- The receiving tenant has accepted an inbox entry: the sending tenant's transfer becomes
-- RECEIVED with the receipt (回执). Only the caller's own accepted inbox row drives it, and only
-- its own transfer (same id) in its sending tenant is touched.
CREATE FUNCTION acknowledge_handover(p_inbox uuid, p_by text, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = members, public AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_scope text := current_setting('app.scope_unit', true);
  i transfer_inbox%ROWTYPE;
  done boolean;
BEGIN
  SELECT * INTO i FROM transfer_inbox WHERE id = p_inbox AND status = 'ACCEPTED';
  IF NOT FOUND THEN RAISE EXCEPTION 'Incoming transfer % is not accepted by the caller''s tenant.', p_inbox; END IF;
  PERFORM set_config('app.tenant_id', i.from_tenant_id::text, true);
  PERFORM set_config('app.scope_unit', '', true);
  UPDATE transfer SET status = 'RECEIVED', receipt_number = i.receipt_number, received_on = i.received_on
    WHERE id = i.id AND status = 'RELEASED' RETURNING true INTO done;
  IF done THEN
    INSERT INTO transfer_step (tenant_id, transfer_id, from_status, to_status, note, recorded_by, recorded_at)
      VALUES (i.from_tenant_id, i.id, 'RELEASED', 'RECEIVED', 'receipt ' || i.receipt_number || ' from the receiving tenant', p_by, p_at);
  END IF;
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  RETURN coalesce(done, false);
END $$;

-- The sending tenant cancels a released cross-tenant transfer: its still pending inbox entry is
-- withdrawn. False when the receiving tenant has already accepted it.
CREATE FUNCTION withdraw_handover(p_transfer uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = members, public AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_scope text := current_setting('app.scope_unit', true);
  t transfer%ROWTYPE;
  done boolean;
BEGIN
  SELECT * INTO t FROM transfer WHERE id = p_transfer AND to_tenant_id IS NOT NULL;
  IF NOT FOUND THEN RAISE EXCEPTION 'Transfer % is not a transfer to another tenant of the caller.', p_transfer; END IF;
  PERFORM set_config('app.tenant_id', t.to_tenant_id::text, true);
  PERFORM set_config('app.scope_unit', '', true);
  UPDATE transfer_inbox SET status = 'WITHDRAWN' WHERE id = t.id AND tenant_id = t.to_tenant_id AND status = 'PENDING' RETURNING true INTO done;
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  RETURN coalesce(done, false);
END $$;

-- Completion of a transfer inside the tenant moves the member to the receiving unit. Either side
-- may complete, and neither alone has both units in scope, so the move runs without the caller's
-- scope (tenant kept): the completed transfer the caller can see is the authority for it.
CREATE FUNCTION move_transferred_member(p_transfer uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = members, public AS $$
DECLARE
  prev_scope text := current_setting('app.scope_unit', true);
  t transfer%ROWTYPE;
BEGIN
  SELECT * INTO t FROM transfer WHERE id = p_transfer AND status = 'COMPLETED' AND to_unit_id IS NOT NULL;
  IF NOT FOUND THEN RAISE EXCEPTION 'Transfer % is not a completed transfer inside the caller''s tenant.', p_transfer; END IF;
  PERFORM set_config('app.scope_unit', '', true);
  UPDATE member SET org_unit_id = t.to_unit_id, updated_at = t.completed_at WHERE id = t.member_id AND tenant_id = t.tenant_id;
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
END $$;

-- ---------------------------------------------------------------------------------------------
-- In-service members reporting in (双报到): one row per report; at most one open per member.
-- Seen by the member's side (the member is in scope) and by the residential community's side.
CREATE TABLE in_service_report (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  member_id uuid NOT NULL REFERENCES member (id),
  member_name text NOT NULL,
  employer_unit_id uuid NOT NULL,
  community_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('REPORTED', 'ASSIGNED', 'SERVING', 'ENDED')),
  reported_on date NOT NULL,
  grid_unit_id uuid,
  grid_post text,
  assigned_on date,
  serving_since date,
  ended_on date,
  end_reason text,
  CONSTRAINT in_service_assigned CHECK (status IN ('REPORTED', 'ENDED') OR (grid_unit_id IS NOT NULL AND grid_post IS NOT NULL)),
  FOREIGN KEY (tenant_id, community_id) REFERENCES unit_path (tenant_id, unit_id),
  FOREIGN KEY (tenant_id, grid_unit_id) REFERENCES unit_path (tenant_id, unit_id)
);
CREATE UNIQUE INDEX in_service_report_open ON in_service_report (member_id) WHERE status <> 'ENDED';
CREATE INDEX in_service_report_community ON in_service_report (tenant_id, community_id, status);
ALTER TABLE in_service_report ENABLE ROW LEVEL SECURITY;
ALTER TABLE in_service_report FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON in_service_report
  USING (tenant_id = platform.current_tenant() AND (EXISTS (SELECT 1 FROM member m WHERE m.id = member_id)
    OR EXISTS (SELECT 1 FROM unit_path u WHERE u.tenant_id = in_service_report.tenant_id AND u.unit_id = community_id AND platform.in_scope(u.path))))
  WITH CHECK (tenant_id = platform.current_tenant() AND (EXISTS (SELECT 1 FROM member m WHERE m.id = member_id)
    OR EXISTS (SELECT 1 FROM unit_path u WHERE u.tenant_id = in_service_report.tenant_id AND u.unit_id = community_id AND platform.in_scope(u.path))));

-- Audit of report transitions.
CREATE TABLE in_service_step (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  report_id uuid NOT NULL REFERENCES in_service_report (id),
  from_status text,
  to_status text NOT NULL,
  note text,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL
);
CREATE INDEX in_service_step_report ON in_service_step (report_id, id);
ALTER TABLE in_service_step ENABLE ROW LEVEL SECURITY;
ALTER TABLE in_service_step FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON in_service_step
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id));

-- The member's reportedInCommunity follows its open report. The community's side may end a report
-- without having the member in scope, so this runs without the caller's scope (tenant kept) and
-- touches only the reporting member's community column.
CREATE FUNCTION in_service_sync_member() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = members, public AS $$
DECLARE
  prev_scope text := current_setting('app.scope_unit', true);
BEGIN
  PERFORM set_config('app.scope_unit', '', true);
  IF NEW.status = 'ENDED' THEN
    UPDATE member SET reported_in_community = NULL WHERE id = NEW.member_id AND reported_in_community = NEW.community_id;
  ELSE
    UPDATE member SET reported_in_community = NEW.community_id WHERE id = NEW.member_id AND reported_in_community IS DISTINCT FROM NEW.community_id;
  END IF;
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  RETURN NULL;
END $$;
CREATE TRIGGER in_service_sync_member AFTER INSERT OR UPDATE OF status ON in_service_report
  FOR EACH ROW EXECUTE FUNCTION in_service_sync_member();

-- Public-service posts claimed (认领岗位) from the tenant's categories while reported in.
CREATE TABLE post_claim (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  report_id uuid NOT NULL REFERENCES in_service_report (id),
  member_id uuid NOT NULL REFERENCES member (id),
  category text NOT NULL,
  title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 60),
  status text NOT NULL CHECK (status IN ('ACTIVE', 'RELEASED')),
  claimed_on date NOT NULL,
  released_on date,
  recorded_by text NOT NULL
);
CREATE INDEX post_claim_member ON post_claim (member_id, status);
CREATE INDEX post_claim_report ON post_claim (report_id);
CREATE UNIQUE INDEX post_claim_once ON post_claim (report_id, category) WHERE status = 'ACTIVE';
ALTER TABLE post_claim ENABLE ROW LEVEL SECURITY;
ALTER TABLE post_claim FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON post_claim
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id));

-- The activity card (活动记实卡): contacts and activities while serving, with the residents' rating.
CREATE TABLE activity_record (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  report_id uuid NOT NULL REFERENCES in_service_report (id),
  member_id uuid NOT NULL REFERENCES member (id),
  claim_id uuid REFERENCES post_claim (id),
  kind text NOT NULL CHECK (kind IN ('CONTACT', 'ACTIVITY')),
  happened_on date NOT NULL,
  hours numeric(5, 1) NOT NULL CHECK (hours > 0 AND hours <= 24),
  content text NOT NULL CHECK (length(btrim(content)) BETWEEN 1 AND 500),
  resident_rating int CHECK (resident_rating BETWEEN 1 AND 5),
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL
);
CREATE INDEX activity_record_member ON activity_record (member_id, happened_on);
CREATE INDEX activity_record_report ON activity_record (report_id, happened_on);
ALTER TABLE activity_record ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity_record FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON activity_record
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id));

-- Quarterly feedback to the employer's organisation (反馈卡), figures frozen when sent.
CREATE TABLE in_service_feedback (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  report_id uuid NOT NULL REFERENCES in_service_report (id),
  member_id uuid NOT NULL REFERENCES member (id),
  year int NOT NULL,
  quarter int NOT NULL CHECK (quarter BETWEEN 1 AND 4),
  contacts int NOT NULL,
  activities int NOT NULL,
  hours numeric(7, 1) NOT NULL,
  average_rating numeric(3, 2),
  meets_minimum boolean NOT NULL,
  comment text,
  sent_by text NOT NULL,
  sent_at timestamptz NOT NULL,
  UNIQUE (report_id, year, quarter)
);
CREATE INDEX in_service_feedback_member ON in_service_feedback (member_id, year, quarter);
ALTER TABLE in_service_feedback ENABLE ROW LEVEL SECURITY;
ALTER TABLE in_service_feedback FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON in_service_feedback
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id));

-- The annual evaluation by the community, sent to the employer (one per report and year).
CREATE TABLE in_service_evaluation (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  report_id uuid NOT NULL REFERENCES in_service_report (id),
  member_id uuid NOT NULL REFERENCES member (id),
  year int NOT NULL,
  grade text NOT NULL CHECK (grade IN ('EXCELLENT', 'QUALIFIED', 'BASICALLY_QUALIFIED', 'UNQUALIFIED')),
  activities int NOT NULL,
  contacts int NOT NULL,
  hours numeric(7, 1) NOT NULL,
  comment text,
  evaluated_by text NOT NULL,
  evaluated_at timestamptz NOT NULL,
  UNIQUE (report_id, year)
);
CREATE INDEX in_service_evaluation_member ON in_service_evaluation (member_id, year);
ALTER TABLE in_service_evaluation ENABLE ROW LEVEL SECURITY;
ALTER TABLE in_service_evaluation FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON in_service_evaluation
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM in_service_report r WHERE r.id = report_id));
