-- Under row-level security an ltree `<@` in a query is not leakproof, so it is never an index
-- condition: it runs as a filter after the tenant and scope policies. The GiST index on
-- org_unit.path therefore served no read of the service, while every insert paid for it (most
-- of the time of a bulk load of a city's tree). Subtree reads filter the tenant's units, found
-- by the (tenant_id, …) indexes the policies use; counts come from unit_count_rollup.
DROP INDEX org_unit_path_gist;
