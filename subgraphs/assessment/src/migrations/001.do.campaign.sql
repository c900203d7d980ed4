-- Minimal table for the assessment subgraph; the assessment issue extends it.
CREATE TABLE campaign (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  org_unit_id uuid NOT NULL,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_tenant_unit ON campaign (tenant_id, org_unit_id);
ALTER TABLE campaign ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaign FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON campaign USING (tenant_id = platform.current_tenant());
