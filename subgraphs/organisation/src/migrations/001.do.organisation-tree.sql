-- The organisation subgraph's own schema: tenants, the typed tree with history, stationed units,
-- big committees. Unit changes are published on the platform event stream (events.stream). Every table carries tenant_id and is
-- under forced row-level security on the per-transaction setting app.tenant_id (see
-- platform.current_tenant()); unit rows are further bounded by the caller's scope subtree.

CREATE TABLE tenant (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9-]{1,40}$'),
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('CITY', 'COUNTY')),
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tenant IS 'A county or city organisation department; the unit of isolation.';

-- Tenant configuration: which kinds of unit exist and where each may sit.
CREATE TABLE unit_kind (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant() REFERENCES tenant (id),
  code text NOT NULL CHECK (code ~ '^[A-Z][A-Z_]{1,40}$'),
  name text NOT NULL,
  allowed_parents text[] NOT NULL DEFAULT '{}',
  special boolean NOT NULL DEFAULT false,
  default_form text NOT NULL DEFAULT 'COMMITTEE' CHECK (default_form IN ('COMMITTEE', 'GENERAL_BRANCH', 'BRANCH', 'GROUP')),
  sort integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, code)
);

-- Paths are ltrees of unit ids without hyphens (labels may not hold '-' before PostgreSQL 16),
-- so "is X in the subtree of S" is "does X's path contain S's label" — answerable from the row
-- alone, which lets the row-level security policy bound a caller to a subtree without a lookup.
CREATE TABLE org_unit (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant() REFERENCES tenant (id),
  parent_id uuid REFERENCES org_unit (id),
  kind text NOT NULL,
  form text NOT NULL CHECK (form IN ('COMMITTEE', 'GENERAL_BRANCH', 'BRANCH', 'GROUP')),
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISSOLVED', 'MERGED')),
  merged_into uuid REFERENCES org_unit (id),
  path ltree NOT NULL,
  depth integer GENERATED ALWAYS AS (nlevel(path) - 1) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, kind) REFERENCES unit_kind (tenant_id, code),
  CHECK ((parent_id IS NULL) = (nlevel(path) = 1))
);
CREATE INDEX org_unit_path_gist ON org_unit USING gist (path);
CREATE INDEX org_unit_parent ON org_unit (parent_id, name);
CREATE INDEX org_unit_tenant_kind ON org_unit (tenant_id, kind);
CREATE UNIQUE INDEX org_unit_active_name ON org_unit (parent_id, name) WHERE status = 'ACTIVE';
CREATE UNIQUE INDEX org_unit_one_root ON org_unit (tenant_id) WHERE parent_id IS NULL;

-- One row per state a unit has been in; the tree as of an instant is rebuilt from these.
CREATE TABLE org_unit_version (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant() REFERENCES tenant (id),
  unit_id uuid NOT NULL REFERENCES org_unit (id),
  name text NOT NULL,
  kind text NOT NULL,
  form text NOT NULL,
  parent_id uuid,
  status text NOT NULL,
  change text NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz,
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX org_unit_version_unit ON org_unit_version (unit_id, valid_from);
CREATE INDEX org_unit_version_parent ON org_unit_version (parent_id, valid_from);

CREATE TABLE stationed_unit (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant() REFERENCES tenant (id),
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  category text NOT NULL CHECK (category IN ('AGENCY', 'STATE_OWNED_ENTERPRISE', 'SCHOOL', 'HOSPITAL', 'PRIVATE_ENTERPRISE', 'SOCIAL_ORGANISATION')),
  located_in uuid NOT NULL REFERENCES org_unit (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);
CREATE INDEX stationed_unit_located ON stationed_unit (located_in);

CREATE TABLE co_building_agreement (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant() REFERENCES tenant (id),
  stationed_unit_id uuid NOT NULL REFERENCES stationed_unit (id),
  partner_id uuid NOT NULL REFERENCES org_unit (id),
  signed_on date NOT NULL,
  valid_until date CHECK (valid_until IS NULL OR valid_until >= signed_on),
  pledges text[] NOT NULL CHECK (cardinality(pledges) >= 1)
);
CREATE INDEX co_building_agreement_unit ON co_building_agreement (stationed_unit_id);

CREATE TABLE big_committee (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant() REFERENCES tenant (id),
  host_id uuid NOT NULL REFERENCES org_unit (id),
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (host_id, name)
);

CREATE TABLE big_committee_unit (
  committee_id uuid NOT NULL REFERENCES big_committee (id),
  stationed_unit_id uuid NOT NULL REFERENCES stationed_unit (id),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant() REFERENCES tenant (id),
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (committee_id, stationed_unit_id)
);

CREATE TABLE part_time_member (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant() REFERENCES tenant (id),
  committee_id uuid NOT NULL REFERENCES big_committee (id),
  person_name text NOT NULL CHECK (length(btrim(person_name)) BETWEEN 1 AND 50),
  stationed_unit_id uuid NOT NULL REFERENCES stationed_unit (id),
  position text NOT NULL,
  status text NOT NULL DEFAULT 'RECOMMENDED' CHECK (status IN ('RECOMMENDED', 'APPOINTED', 'EXITED')),
  appointed_on date,
  exited_on date,
  FOREIGN KEY (committee_id, stationed_unit_id) REFERENCES big_committee_unit (committee_id, stationed_unit_id)
);
CREATE INDEX part_time_member_committee ON part_time_member (committee_id);

-- Keeps history and the event stream in step with every unit change, whatever code made it.
CREATE FUNCTION org_unit_track() RETURNS trigger
LANGUAGE plpgsql SET search_path = organisation, public AS $$
DECLARE
  why text;
  effective timestamptz;
BEGIN
  IF TG_OP = 'INSERT' THEN
    why := 'CREATED';
  ELSIF NEW.status <> OLD.status THEN
    why := NEW.status;  -- DISSOLVED / MERGED
  ELSIF NEW.parent_id IS DISTINCT FROM OLD.parent_id THEN
    why := 'MOVED';
  ELSIF NEW.name <> OLD.name THEN
    why := 'RENAMED';
  ELSIF NEW.kind <> OLD.kind OR NEW.form <> OLD.form THEN
    why := 'RESHAPED';
  END IF;
  IF why IS NOT NULL THEN
    -- The change takes effect at app.effective_from when the caller back-dates it (validated by
    -- the service), otherwise now.
    effective := coalesce(nullif(current_setting('app.effective_from', true), '')::timestamptz, now());
    UPDATE org_unit_version SET valid_to = effective WHERE unit_id = NEW.id AND valid_to IS NULL;
    INSERT INTO org_unit_version (tenant_id, unit_id, name, kind, form, parent_id, status, change, valid_from)
      VALUES (NEW.tenant_id, NEW.id, NEW.name, NEW.kind, NEW.form, NEW.parent_id, NEW.status, why, effective);
  END IF;
  -- A descendant of a moved unit changes path only; followers still need its new ancestry.
  IF why IS NOT NULL OR NEW.path <> OLD.path THEN
    -- Published on the platform event stream in this same transaction (the outbox).
    PERFORM events.publish('org_unit.changed', jsonb_build_object(
      'id', NEW.id, 'parentId', NEW.parent_id, 'kind', NEW.kind, 'name', NEW.name, 'status', NEW.status,
      'path', NEW.path::text, 'change', coalesce(why, 'ANCESTRY')));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER org_unit_track AFTER INSERT OR UPDATE ON org_unit FOR EACH ROW EXECUTE FUNCTION org_unit_track();

-- Row-level security. Tenant rows: only the current tenant. Unit rows: current tenant and the
-- caller's scope subtree. Rows hanging off units are visible when their unit is (the EXISTS
-- subqueries are themselves filtered by org_unit's policy).
ALTER TABLE tenant ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant USING (id = platform.current_tenant());

ALTER TABLE unit_kind ENABLE ROW LEVEL SECURITY;
ALTER TABLE unit_kind FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON unit_kind USING (tenant_id = platform.current_tenant());

ALTER TABLE org_unit ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_unit FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON org_unit
  USING (tenant_id = platform.current_tenant() AND platform.in_scope(path))
  WITH CHECK (tenant_id = platform.current_tenant() AND platform.in_scope(path));

ALTER TABLE org_unit_version ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_unit_version FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON org_unit_version
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM org_unit u WHERE u.id = unit_id))
  WITH CHECK (tenant_id = platform.current_tenant());

ALTER TABLE stationed_unit ENABLE ROW LEVEL SECURITY;
ALTER TABLE stationed_unit FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON stationed_unit
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM org_unit u WHERE u.id = located_in))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM org_unit u WHERE u.id = located_in));

ALTER TABLE co_building_agreement ENABLE ROW LEVEL SECURITY;
ALTER TABLE co_building_agreement FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON co_building_agreement
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM org_unit u WHERE u.id = partner_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM org_unit u WHERE u.id = partner_id));

ALTER TABLE big_committee ENABLE ROW LEVEL SECURITY;
ALTER TABLE big_committee FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON big_committee
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM org_unit u WHERE u.id = host_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM org_unit u WHERE u.id = host_id));

ALTER TABLE big_committee_unit ENABLE ROW LEVEL SECURITY;
ALTER TABLE big_committee_unit FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON big_committee_unit
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM big_committee c WHERE c.id = committee_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM big_committee c WHERE c.id = committee_id));

ALTER TABLE part_time_member ENABLE ROW LEVEL SECURITY;
ALTER TABLE part_time_member FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON part_time_member
  USING (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM big_committee c WHERE c.id = committee_id))
  WITH CHECK (tenant_id = platform.current_tenant() AND EXISTS (SELECT 1 FROM big_committee c WHERE c.id = committee_id));
