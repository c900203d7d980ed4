-- The units of one tree level (a city's districts on its dashboard, a subtree read to a given
-- depth) are found by depth: an integer equality, leakproof, so an index condition under the
-- row-level-security policies, where the path test is not. Without it every dashboard request
-- read all of a city's 64,000 units.
CREATE INDEX org_unit_tenant_depth ON org_unit (tenant_id, depth, name);
