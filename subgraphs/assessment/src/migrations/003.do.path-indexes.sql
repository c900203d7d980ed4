-- Under row-level security an ltree `<@` in a query is not leakproof, so it is never an index
-- condition (it runs as a filter after the tenant and scope policies). The GiST indexes on the
-- unit copy's paths and on target paths served no read of the service, while every event
-- applied and every bulk load paid for them.
DROP INDEX unit_path_gist;
DROP INDEX target_path_gist;
