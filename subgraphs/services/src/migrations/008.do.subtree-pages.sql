-- Pages of a subtree's orders and wishes (OrgUnit.serviceOrders, Query.microWishes) read by index.
--
-- Under row-level security an ltree `<@` in a query is not leakproof, so it is never an index
-- condition (see 004): every page scanned all the tenant's orders. A page is now read one of two
-- ways (loaders.ts, `subtreeRows`), both on leakproof conditions:
--   * a small subtree by its units' ids (`unit_id = any(…)`, uuid equality), which the existing
--     (tenant_id, unit_id, submitted_at DESC, id) indexes serve;
--   * a large one newest first along the tenant's orders, where the path test only filters rows
--     (few are rejected before the page is full). These indexes are that order, for all states
--     and for one state (the lists' filter): without the second, a page of a rare state walked
--     past most of the tenant's orders. A page's cursor is a range on the same columns.
CREATE INDEX service_order_newest ON service_order (tenant_id, submitted_at DESC, id DESC);
CREATE INDEX service_order_state_newest ON service_order (tenant_id, state, submitted_at DESC, id DESC);
CREATE INDEX micro_wish_newest ON micro_wish (tenant_id, collected_at DESC, id DESC);
CREATE INDEX micro_wish_state_newest ON micro_wish (tenant_id, state, collected_at DESC, id DESC);

-- The units of a subtree, found by a range instead of a scan of the tenant's tree. A path is
-- labels of 32 hexadecimal digits joined by '.', so under byte order ("C") a unit's subtree is
-- exactly the paths from its own up to (not including) its path followed by '/', the character
-- after '.'. Text comparisons are leakproof, so the range is an index condition for the service
-- role; the ltree itself is not comparable that way (its operators are not leakproof).
ALTER TABLE unit_path ADD COLUMN path_key text COLLATE "C" GENERATED ALWAYS AS (ltree2text(path)) STORED;
COMMENT ON COLUMN unit_path.path_key IS 'The path as text in byte order: a subtree is the range [path_key, path_key || ''/'').';
CREATE INDEX unit_path_key ON unit_path (tenant_id, path_key);
