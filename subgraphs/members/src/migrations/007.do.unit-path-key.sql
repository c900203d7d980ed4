-- The units of a subtree found by a range instead of a scan of the tenant's tree (member pages
-- name a small subtree by its unit ids). A path is labels of 32 hexadecimal digits joined by '.',
-- so in byte order ("C") a unit's subtree is exactly the paths from its own up to, not including,
-- its path followed by '/', the character after '.'. Text comparisons are leakproof, so under
-- row-level security the range is an index condition, which an ltree `<@` never is.
ALTER TABLE unit_path ADD COLUMN path_key text COLLATE "C" GENERATED ALWAYS AS (ltree2text(path)) STORED;
COMMENT ON COLUMN unit_path.path_key IS 'The path as text in byte order: a subtree is the range [path_key, path_key || ''/'').';
CREATE INDEX unit_path_key ON unit_path (tenant_id, path_key);
