-- Minimal table for the services subgraph; the services issue extends it.
CREATE TABLE service_order (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  org_unit_id uuid NOT NULL,
  title text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_order_tenant_unit ON service_order (tenant_id, org_unit_id);
ALTER TABLE service_order ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_order FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON service_order USING (tenant_id = platform.current_tenant());
