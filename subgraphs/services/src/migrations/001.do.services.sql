-- Services: the three lists (demand: service orders and micro-wishes; resources; co-building
-- projects), the per-tenant service catalogue, every state transition with who, when and from
-- which state, per-unit summaries kept exact by statement-level triggers, and this service's
-- copy of the organisation tree (kept from organisation's events; it never reads their tables).

-- One row per organisation unit, kept from organisation's 'org_unit.changed' events (same shape
-- as the members service's copy). last_seq makes replays idempotent.
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

CREATE TABLE unit_event_cursor (
  tenant_id uuid PRIMARY KEY DEFAULT platform.current_tenant(),
  last_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE unit_event_cursor ENABLE ROW LEVEL SECURITY;
ALTER TABLE unit_event_cursor FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON unit_event_cursor USING (tenant_id = platform.current_tenant());

-- The service catalogue: major categories (level 1), sub-categories (2) and items (3). Each
-- carries its deadlines; an order takes them from its category when it is submitted.
CREATE TABLE category (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  parent_id uuid REFERENCES category (id),
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
  code text NOT NULL CHECK (code ~ '^[A-Z0-9_.-]{1,40}$'),
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 50),
  response_hours integer NOT NULL DEFAULT 24 CHECK (response_hours > 0),
  completion_hours integer NOT NULL DEFAULT 168 CHECK (completion_hours > 0),
  sort integer NOT NULL DEFAULT 0,
  CONSTRAINT category_deadlines CHECK (completion_hours >= response_hours),
  CONSTRAINT category_root CHECK ((level = 1) = (parent_id IS NULL)),
  UNIQUE (tenant_id, code)
);
ALTER TABLE category ENABLE ROW LEVEL SECURITY;
ALTER TABLE category FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON category USING (tenant_id = platform.current_tenant());

-- The resource list: what a member or a stationed unit offers, where it sits in the tree (for
-- nearness), the area it serves, how many orders it takes at once and when it is available.
-- Offers carry no personal data and are visible tenant-wide (matching for a community ranks
-- providers registered at street level too); writing one needs the served area in scope.
CREATE TABLE resource (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  provider_kind text NOT NULL CHECK (provider_kind IN ('MEMBER', 'STATIONED_UNIT')),
  member_id uuid,
  stationed_unit_id uuid,
  provider_name text NOT NULL CHECK (length(btrim(provider_name)) BETWEEN 1 AND 80),
  unit_id uuid NOT NULL,
  unit_path ltree NOT NULL,
  serves_unit_id uuid NOT NULL,
  serves_path ltree NOT NULL,
  category_ids uuid[] NOT NULL CHECK (cardinality(category_ids) > 0),
  capacity integer NOT NULL DEFAULT 3 CHECK (capacity BETWEEN 1 AND 100),
  weekdays smallint[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}' CHECK (weekdays <@ '{1,2,3,4,5,6,7}'::smallint[] AND cardinality(weekdays) > 0),
  from_hour smallint NOT NULL DEFAULT 8 CHECK (from_hour BETWEEN 0 AND 23),
  to_hour smallint NOT NULL DEFAULT 20 CHECK (to_hour BETWEEN 1 AND 24),
  description text,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  CONSTRAINT resource_provider CHECK ((provider_kind = 'MEMBER') = (member_id IS NOT NULL) AND (provider_kind = 'STATIONED_UNIT') = (stationed_unit_id IS NOT NULL)),
  CONSTRAINT resource_window CHECK (to_hour > from_hour),
  CONSTRAINT resource_unit FOREIGN KEY (tenant_id, unit_id) REFERENCES unit_path (tenant_id, unit_id),
  CONSTRAINT resource_serves FOREIGN KEY (tenant_id, serves_unit_id) REFERENCES unit_path (tenant_id, unit_id)
);
CREATE INDEX resource_categories ON resource USING gin (category_ids);
CREATE INDEX resource_member ON resource (tenant_id, member_id);
ALTER TABLE resource ENABLE ROW LEVEL SECURITY;
ALTER TABLE resource FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_offers ON resource
  USING (tenant_id = platform.current_tenant())
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(serves_path));

-- The project list (co-building projects, 共建项目): lead unit, supporting units, owner, deadline.
CREATE TABLE project (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  description text,
  lead_unit_id uuid NOT NULL,
  lead_path ltree NOT NULL,
  supporting_unit_ids uuid[] NOT NULL DEFAULT '{}',
  owner_name text NOT NULL CHECK (length(btrim(owner_name)) BETWEEN 1 AND 50),
  deadline date NOT NULL,
  state text NOT NULL DEFAULT 'OPEN' CHECK (state IN ('OPEN', 'IN_PROGRESS', 'DONE')),
  created_at timestamptz NOT NULL,
  CONSTRAINT project_lead FOREIGN KEY (tenant_id, lead_unit_id) REFERENCES unit_path (tenant_id, unit_id)
);
ALTER TABLE project ENABLE ROW LEVEL SECURITY;
ALTER TABLE project FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON project
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(lead_path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(lead_path));

-- The demand list, part one: residents' service orders (点单 → 派单 → 接单 → 评单).
-- org_path is the path of the resident's unit, so the scope policy answers from the row alone.
CREATE TABLE service_order (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  unit_id uuid NOT NULL,
  org_path ltree NOT NULL,
  category_id uuid NOT NULL REFERENCES category (id),
  title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 100),
  description text,
  resident_name text NOT NULL CHECK (length(btrim(resident_name)) BETWEEN 1 AND 50),
  resident_phone text CHECK (resident_phone ~ '^[0-9+ -]{5,20}$'),
  channel text NOT NULL CHECK (channel IN ('RESIDENT', 'GRID_WORKER', 'ON_BEHALF')),
  submitted_by text NOT NULL,
  state text NOT NULL CHECK (state IN ('SUBMITTED', 'TRIAGED', 'DISPATCHED', 'POSTED', 'ACCEPTED', 'IN_PROGRESS', 'DONE', 'CLOSED', 'CANCELLED')),
  provider_kind text CHECK (provider_kind IN ('MEMBER', 'STATIONED_UNIT')),
  provider_member_id uuid,
  provider_stationed_unit_id uuid,
  provider_name text,
  resource_id uuid REFERENCES resource (id),
  submitted_at timestamptz NOT NULL,
  response_due timestamptz NOT NULL,
  completion_due timestamptz NOT NULL,
  accepted_at timestamptz,
  done_at timestamptz,
  closed_at timestamptz,
  hours numeric(6, 2) CHECK (hours >= 0 AND hours <= 1000),
  rating smallint CHECK (rating BETWEEN 1 AND 5),
  rating_comment text,
  escalation_level smallint NOT NULL DEFAULT 0 CHECK (escalation_level BETWEEN 0 AND 2),
  escalated_to uuid,
  overdue boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL,
  CONSTRAINT order_unit FOREIGN KEY (tenant_id, unit_id) REFERENCES unit_path (tenant_id, unit_id),
  CONSTRAINT order_provider CHECK (provider_kind IS NULL OR (provider_kind = 'MEMBER') = (provider_member_id IS NOT NULL)),
  CONSTRAINT order_has_provider CHECK (state NOT IN ('DISPATCHED', 'ACCEPTED', 'IN_PROGRESS', 'DONE') OR provider_kind IS NOT NULL),
  CONSTRAINT order_closed_rated CHECK (state <> 'CLOSED' OR (rating IS NOT NULL AND closed_at IS NOT NULL AND done_at IS NOT NULL))
);
CREATE INDEX service_order_path ON service_order USING gist (org_path);
CREATE INDEX service_order_unit ON service_order (tenant_id, unit_id, submitted_at DESC, id);
CREATE INDEX service_order_provider_member ON service_order (tenant_id, provider_member_id, submitted_at DESC, id) WHERE provider_member_id IS NOT NULL;
CREATE INDEX service_order_open_due ON service_order (tenant_id, response_due, completion_due) WHERE state NOT IN ('DONE', 'CLOSED', 'CANCELLED');
ALTER TABLE service_order ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_order FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON service_order
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(org_path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(org_path));

-- Every transition of an order: who, when, from which state (escalations too: from = to).
CREATE TABLE order_transition (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  order_id uuid NOT NULL REFERENCES service_order (id),
  from_state text,
  to_state text NOT NULL,
  action text NOT NULL,
  actor text NOT NULL,
  at timestamptz NOT NULL,
  note text
);
CREATE INDEX order_transition_order ON order_transition (order_id, id);
ALTER TABLE order_transition ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_transition FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON order_transition
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM service_order o WHERE o.id = order_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM service_order o WHERE o.id = order_id));

-- The demand list, part two: micro-wishes (微心愿), claimed one-to-one by members.
CREATE TABLE micro_wish (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  unit_id uuid NOT NULL,
  org_path ltree NOT NULL,
  title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 100),
  description text,
  resident_name text NOT NULL CHECK (length(btrim(resident_name)) BETWEEN 1 AND 50),
  resident_phone text CHECK (resident_phone ~ '^[0-9+ -]{5,20}$'),
  state text NOT NULL CHECK (state IN ('COLLECTED', 'VERIFIED', 'POSTED', 'CLAIMED', 'FULFILLED', 'CONFIRMED', 'ARCHIVED')),
  claimed_by_member_id uuid,
  collected_by text NOT NULL,
  collected_at timestamptz NOT NULL,
  fulfilled_at timestamptz,
  updated_at timestamptz NOT NULL,
  CONSTRAINT wish_unit FOREIGN KEY (tenant_id, unit_id) REFERENCES unit_path (tenant_id, unit_id),
  CONSTRAINT wish_claimed CHECK (state NOT IN ('CLAIMED', 'FULFILLED', 'CONFIRMED', 'ARCHIVED') OR claimed_by_member_id IS NOT NULL)
);
CREATE INDEX micro_wish_path ON micro_wish USING gist (org_path);
CREATE INDEX micro_wish_unit ON micro_wish (tenant_id, unit_id, collected_at DESC, id);
ALTER TABLE micro_wish ENABLE ROW LEVEL SECURITY;
ALTER TABLE micro_wish FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON micro_wish
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(org_path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(org_path));

CREATE TABLE wish_transition (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  wish_id uuid NOT NULL REFERENCES micro_wish (id),
  from_state text,
  to_state text NOT NULL,
  action text NOT NULL,
  actor text NOT NULL,
  at timestamptz NOT NULL,
  note text
);
CREATE INDEX wish_transition_wish ON wish_transition (wish_id, id);
ALTER TABLE wish_transition ENABLE ROW LEVEL SECURITY;
ALTER TABLE wish_transition FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON wish_transition
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM micro_wish w WHERE w.id = wish_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM micro_wish w WHERE w.id = wish_id));

-- Per-unit summaries of the unit's OWN orders and wishes (not its subtree): one value per
-- (unit, metric). A subtree's statistics sum the rows of the units under it (found through
-- unit_path), so a unit that moves takes its summary along without rewriting anything.
-- Metrics: 'state:<STATE>', 'closed', 'closed_on_time', 'rating_sum', 'rating_n',
-- 'close_hours:<whole hours, capped at 1440>', 'overdue', 'wish:<STATE>', 'wishes_fulfilled'.
CREATE TABLE unit_stat (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  unit_id uuid NOT NULL,
  metric text NOT NULL,
  -- No CHECK (value >= 0): INSERT … ON CONFLICT checks the proposed row before resolving the conflict.
  value bigint NOT NULL,
  PRIMARY KEY (tenant_id, unit_id, metric)
);
ALTER TABLE unit_stat ENABLE ROW LEVEL SECURITY;
ALTER TABLE unit_stat FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON unit_stat USING (tenant_id = platform.current_tenant());

-- What one order contributes to its unit's summary.
CREATE FUNCTION order_metrics(o service_order) RETURNS TABLE (metric text, value bigint)
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'state:' || o.state, 1::bigint
  UNION ALL SELECT 'closed', 1 WHERE o.state = 'CLOSED'
  UNION ALL SELECT 'closed_on_time', 1 WHERE o.state = 'CLOSED' AND o.done_at <= o.completion_due
  UNION ALL SELECT 'rating_sum', o.rating WHERE o.state = 'CLOSED'
  UNION ALL SELECT 'rating_n', 1 WHERE o.state = 'CLOSED'
  UNION ALL SELECT 'close_hours:' || least(1440, floor(extract(epoch FROM o.closed_at - o.submitted_at) / 3600))::int, 1 WHERE o.state = 'CLOSED'
  UNION ALL SELECT 'overdue', 1 WHERE o.overdue AND o.state NOT IN ('DONE', 'CLOSED', 'CANCELLED')
$$;

CREATE FUNCTION wish_metrics(w micro_wish) RETURNS TABLE (metric text, value bigint)
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'wish:' || w.state, 1::bigint
  UNION ALL SELECT 'wishes_fulfilled', 1 WHERE w.state IN ('FULFILLED', 'CONFIRMED', 'ARCHIVED')
$$;

-- Statement-level: one statement's rows are netted per (unit, metric) into one upsert each, so a
-- bulk load costs one upsert per touched unit and metric. Fixed lock order: no deadlocks.
CREATE FUNCTION unit_stat_track() RETURNS trigger
LANGUAGE plpgsql SET search_path = services, public AS $$
BEGIN
  -- A trigger may only read the transition tables it declares, hence one statement per case.
  IF TG_TABLE_NAME = 'service_order' THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO unit_stat AS s (tenant_id, unit_id, metric, value)
      SELECT n.tenant_id, n.unit_id, m.metric, sum(m.value) FROM new_rows n CROSS JOIN LATERAL order_metrics(n) m
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, unit_id, metric) DO UPDATE SET value = s.value + excluded.value;
    ELSE
      INSERT INTO unit_stat AS s (tenant_id, unit_id, metric, value)
      SELECT tenant_id, unit_id, metric, sum(v) FROM (
        SELECT n.tenant_id, n.unit_id, m.metric, m.value AS v FROM new_rows n CROSS JOIN LATERAL order_metrics(n) m
        UNION ALL SELECT o.tenant_id, o.unit_id, m.metric, -m.value FROM old_rows o CROSS JOIN LATERAL order_metrics(o) m) d
       GROUP BY 1, 2, 3 HAVING sum(v) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, unit_id, metric) DO UPDATE SET value = s.value + excluded.value;
    END IF;
  ELSE
    IF TG_OP = 'INSERT' THEN
      INSERT INTO unit_stat AS s (tenant_id, unit_id, metric, value)
      SELECT n.tenant_id, n.unit_id, m.metric, sum(m.value) FROM new_rows n CROSS JOIN LATERAL wish_metrics(n) m
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, unit_id, metric) DO UPDATE SET value = s.value + excluded.value;
    ELSE
      INSERT INTO unit_stat AS s (tenant_id, unit_id, metric, value)
      SELECT tenant_id, unit_id, metric, sum(v) FROM (
        SELECT n.tenant_id, n.unit_id, m.metric, m.value AS v FROM new_rows n CROSS JOIN LATERAL wish_metrics(n) m
        UNION ALL SELECT o.tenant_id, o.unit_id, m.metric, -m.value FROM old_rows o CROSS JOIN LATERAL wish_metrics(o) m) d
       GROUP BY 1, 2, 3 HAVING sum(v) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (tenant_id, unit_id, metric) DO UPDATE SET value = s.value + excluded.value;
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER order_stat_insert AFTER INSERT ON service_order REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION unit_stat_track();
CREATE TRIGGER order_stat_update AFTER UPDATE ON service_order REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION unit_stat_track();
CREATE TRIGGER wish_stat_insert AFTER INSERT ON micro_wish REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION unit_stat_track();
CREATE TRIGGER wish_stat_update AFTER UPDATE ON micro_wish REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION unit_stat_track();
-- Orders and wishes are never deleted (they are the record); a DELETE would leave the summary
-- stale, so it is refused.
CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'Service orders and micro-wishes are kept: cancel or archive instead of deleting.';
END $$;
CREATE TRIGGER order_no_delete BEFORE DELETE ON service_order FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();
CREATE TRIGGER wish_no_delete BEFORE DELETE ON micro_wish FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();

-- Orders, wishes, resources and projects carry their unit's path; it is set from the copy.
CREATE FUNCTION set_path_from_unit() RETURNS trigger
LANGUAGE plpgsql SET search_path = services, public AS $$
BEGIN
  IF TG_TABLE_NAME = 'resource' THEN
    SELECT u.path INTO NEW.unit_path FROM unit_path u WHERE u.tenant_id = NEW.tenant_id AND u.unit_id = NEW.unit_id;
    SELECT u.path INTO NEW.serves_path FROM unit_path u WHERE u.tenant_id = NEW.tenant_id AND u.unit_id = NEW.serves_unit_id;
    IF NEW.unit_path IS NULL OR NEW.serves_path IS NULL THEN
      RAISE EXCEPTION 'Organisation unit % or % is not known to the services service.', NEW.unit_id, NEW.serves_unit_id;
    END IF;
  ELSIF TG_TABLE_NAME = 'project' THEN
    SELECT u.path INTO NEW.lead_path FROM unit_path u WHERE u.tenant_id = NEW.tenant_id AND u.unit_id = NEW.lead_unit_id;
    IF NEW.lead_path IS NULL THEN
      RAISE EXCEPTION 'Organisation unit % is not known to the services service.', NEW.lead_unit_id;
    END IF;
  ELSE
    SELECT u.path INTO NEW.org_path FROM unit_path u WHERE u.tenant_id = NEW.tenant_id AND u.unit_id = NEW.unit_id;
    IF NEW.org_path IS NULL THEN
      RAISE EXCEPTION 'Organisation unit % is not known to the services service.', NEW.unit_id;
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER order_set_path BEFORE INSERT OR UPDATE OF unit_id ON service_order FOR EACH ROW EXECUTE FUNCTION set_path_from_unit();
CREATE TRIGGER wish_set_path BEFORE INSERT OR UPDATE OF unit_id ON micro_wish FOR EACH ROW EXECUTE FUNCTION set_path_from_unit();
CREATE TRIGGER resource_set_path BEFORE INSERT OR UPDATE OF unit_id, serves_unit_id ON resource FOR EACH ROW EXECUTE FUNCTION set_path_from_unit();
CREATE TRIGGER project_set_path BEFORE INSERT OR UPDATE OF lead_unit_id ON project FOR EACH ROW EXECUTE FUNCTION set_path_from_unit();

-- Applies one organisation 'org_unit.changed' event for p_tenant. Idempotent (seq per unit).
-- Rows of the unit get its new path. Runs under the event's tenant and no scope, then restores.
CREATE FUNCTION apply_unit_changed(p_tenant uuid, p_seq bigint, p_payload jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = services, public AS $$
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
    UPDATE service_order SET org_path = new_path WHERE tenant_id = p_tenant AND unit_id = unit AND org_path <> new_path;
    UPDATE micro_wish SET org_path = new_path WHERE tenant_id = p_tenant AND unit_id = unit AND org_path <> new_path;
    UPDATE resource SET unit_path = new_path WHERE tenant_id = p_tenant AND unit_id = unit AND unit_path <> new_path;
    UPDATE resource SET serves_path = new_path WHERE tenant_id = p_tenant AND serves_unit_id = unit AND serves_path <> new_path;
    UPDATE project SET lead_path = new_path WHERE tenant_id = p_tenant AND lead_unit_id = unit AND lead_path <> new_path;
  END IF;
  INSERT INTO unit_event_cursor AS c (tenant_id, last_seq) VALUES (p_tenant, p_seq)
    ON CONFLICT (tenant_id) DO UPDATE SET last_seq = greatest(c.last_seq, excluded.last_seq), updated_at = now();
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.scope_unit', coalesce(prev_scope, ''), true);
  RETURN coalesce(applied, false);
END $$;
