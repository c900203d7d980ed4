-- Per-provider summaries for matching: open orders (current load) and past ratings of each member
-- or stationed unit, tenant-wide. Ranking reads one row per candidate instead of the provider's
-- orders, and a community's ranking sees a provider's whole load, not only the part inside the
-- community (the orders themselves stay scoped).

CREATE TABLE provider_stat (
  tenant_id uuid NOT NULL DEFAULT platform.current_tenant(),
  provider_id uuid NOT NULL,
  metric text NOT NULL CHECK (metric IN ('open', 'rating_sum', 'rating_n')),
  value bigint NOT NULL,
  PRIMARY KEY (tenant_id, provider_id, metric)
);
COMMENT ON TABLE provider_stat IS 'Counts per provider (member or stationed unit id): open orders and ratings of closed ones. No names, no orders.';
ALTER TABLE provider_stat ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_stat FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON provider_stat USING (tenant_id = platform.current_tenant());

CREATE FUNCTION provider_metrics(o service_order) RETURNS TABLE (provider_id uuid, metric text, value bigint)
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(o.provider_member_id, o.provider_stationed_unit_id), 'open', 1::bigint
   WHERE o.state IN ('DISPATCHED', 'ACCEPTED', 'IN_PROGRESS') AND coalesce(o.provider_member_id, o.provider_stationed_unit_id) IS NOT NULL
  UNION ALL SELECT coalesce(o.provider_member_id, o.provider_stationed_unit_id), 'rating_sum', o.rating
   WHERE o.state = 'CLOSED' AND coalesce(o.provider_member_id, o.provider_stationed_unit_id) IS NOT NULL
  UNION ALL SELECT coalesce(o.provider_member_id, o.provider_stationed_unit_id), 'rating_n', 1
   WHERE o.state = 'CLOSED' AND coalesce(o.provider_member_id, o.provider_stationed_unit_id) IS NOT NULL
$$;

CREATE FUNCTION provider_stat_track() RETURNS trigger
LANGUAGE plpgsql SET search_path = services, public AS $$
BEGIN
  -- A trigger may only read the transition tables it declares, hence one statement per case.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO provider_stat AS s (tenant_id, provider_id, metric, value)
    SELECT n.tenant_id, m.provider_id, m.metric, sum(m.value) FROM new_rows n CROSS JOIN LATERAL provider_metrics(n) m
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, provider_id, metric) DO UPDATE SET value = s.value + excluded.value;
  ELSE
    INSERT INTO provider_stat AS s (tenant_id, provider_id, metric, value)
    SELECT tenant_id, provider_id, metric, sum(v) FROM (
      SELECT n.tenant_id, m.provider_id, m.metric, m.value AS v FROM new_rows n CROSS JOIN LATERAL provider_metrics(n) m
      UNION ALL SELECT o.tenant_id, m.provider_id, m.metric, -m.value FROM old_rows o CROSS JOIN LATERAL provider_metrics(o) m) d
     GROUP BY 1, 2, 3 HAVING sum(v) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, provider_id, metric) DO UPDATE SET value = s.value + excluded.value;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER order_provider_insert AFTER INSERT ON service_order REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provider_stat_track();
CREATE TRIGGER order_provider_update AFTER UPDATE ON service_order REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provider_stat_track();

-- Existing orders (databases migrated before this file).
INSERT INTO provider_stat (tenant_id, provider_id, metric, value)
SELECT o.tenant_id, m.provider_id, m.metric, sum(m.value) FROM service_order o CROSS JOIN LATERAL provider_metrics(o) m GROUP BY 1, 2, 3;
