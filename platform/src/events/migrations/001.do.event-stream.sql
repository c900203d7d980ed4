-- The platform's event bus, in PostgreSQL: durable, ordered per (topic, tenant), replayable.
-- Publishers append in the same transaction as the change they describe (the outbox); a
-- counter row per (topic, tenant), locked until commit, makes each sequence gapless and
-- commit-ordered, so a subscriber reading "seq > cursor" never skips a late commit.
-- A service role publishes only under its own topic (its subgraph name) and reads the stream
-- only for the tenant of its transaction.

CREATE FUNCTION role_topic() RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT substring(current_user FROM '^trellis_(.*)$') $$;
COMMENT ON FUNCTION role_topic() IS 'The topic (subgraph name) the connected service role publishes under.';

CREATE TABLE counter (
  topic text NOT NULL,
  tenant_id uuid NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (topic, tenant_id)
);
COMMENT ON TABLE counter IS 'Last sequence number per topic and tenant; also the directory of tenants a subscriber walks.';

CREATE TABLE stream (
  topic text NOT NULL,
  tenant_id uuid NOT NULL,
  seq bigint NOT NULL,
  event_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  type text NOT NULL,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, tenant_id, seq)
);

CREATE TABLE subscription (
  subscriber text NOT NULL,
  topic text NOT NULL,
  tenant_id uuid NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber, topic, tenant_id)
);

-- Appends one event for the current tenant under the caller's topic; returns its seq.
CREATE FUNCTION publish(p_type text, p_payload jsonb) RETURNS bigint
LANGUAGE plpgsql SET search_path = events, public AS $$
DECLARE
  t uuid := platform.current_tenant();
  tp text := role_topic();
  next_seq bigint;
BEGIN
  IF t IS NULL OR tp IS NULL THEN
    RAISE EXCEPTION 'events.publish needs a tenant and a service role (tenant %, role %)', t, current_user;
  END IF;
  INSERT INTO counter AS c (topic, tenant_id, last_seq) VALUES (tp, t, 1)
    ON CONFLICT (topic, tenant_id) DO UPDATE SET last_seq = c.last_seq + 1
    RETURNING last_seq INTO next_seq;
  INSERT INTO stream (topic, tenant_id, seq, type, payload) VALUES (tp, t, next_seq, p_type, p_payload);
  RETURN next_seq;
END $$;

ALTER TABLE counter ENABLE ROW LEVEL SECURITY;
ALTER TABLE counter FORCE ROW LEVEL SECURITY;
CREATE POLICY directory ON counter FOR SELECT USING (true);
CREATE POLICY own_topic_insert ON counter FOR INSERT WITH CHECK (topic = role_topic() AND tenant_id = platform.current_tenant());
CREATE POLICY own_topic_update ON counter FOR UPDATE USING (topic = role_topic() AND tenant_id = platform.current_tenant());

ALTER TABLE stream ENABLE ROW LEVEL SECURITY;
ALTER TABLE stream FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON stream FOR SELECT USING (tenant_id = platform.current_tenant());
CREATE POLICY own_topic_append ON stream FOR INSERT WITH CHECK (topic = role_topic() AND tenant_id = platform.current_tenant());

ALTER TABLE subscription ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscription FORCE ROW LEVEL SECURITY;
CREATE POLICY own_cursor ON subscription
  USING (subscriber = role_topic() AND tenant_id = platform.current_tenant())
  WITH CHECK (subscriber = role_topic() AND tenant_id = platform.current_tenant());

GRANT SELECT, INSERT, UPDATE ON counter TO trellis_organisation, trellis_members, trellis_services, trellis_assessment;
GRANT SELECT, INSERT ON stream TO trellis_organisation, trellis_members, trellis_services, trellis_assessment;
GRANT SELECT, INSERT, UPDATE, DELETE ON subscription TO trellis_organisation, trellis_members, trellis_services, trellis_assessment;
GRANT EXECUTE ON FUNCTION publish(text, jsonb), role_topic() TO trellis_organisation, trellis_members, trellis_services, trellis_assessment;
