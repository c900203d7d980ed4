-- Path indexes at the scale of a city (the members service found the same, see its 005).
--
-- Under row-level security an ltree `<@` or `@>` written in a query is not leakproof, so the
-- planner never evaluates it inside an index scan ahead of the policy: it runs as a filter on
-- every row the policy lets through. EXPLAIN as trellis_services with app.tenant_id and
-- app.scope_unit set shows a sequential (or tenant_id bitmap) scan of service_order,
-- micro_wish and unit_path for every subtree read, even with enable_seqscan off; only a
-- superuser, who bypasses the policies, gets the GiST indexes. The policies themselves test
-- scope with `org_path ~ lquery`, which no index answers either. So these three indexes were
-- never used by the service, and at a million members they cost about four minutes of every
-- bulk load (and a GiST insertion per order, wish and unit change).
DROP INDEX service_order_path;
DROP INDEX micro_wish_path;
DROP INDEX unit_path_gist;

-- Reads that need a unit's ancestors take them from the path's labels instead (a label is the
-- ancestor's id) and look them up by primary key, an equality the planner may use under the
-- policy. Matching finds the offers serving an order's area the same way: an offer serving an
-- ancestor of the order (or its unit) by serves_unit_id equality.
CREATE INDEX resource_serves ON resource (tenant_id, serves_unit_id) WHERE active;
