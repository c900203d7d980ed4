-- A follower asks once per poll which tenants have events past its cursor, instead of opening a
-- transaction and touching its cursor row in every tenant on every poll (a write each time). For
-- that it reads its own cursors across tenants: positions only, like the counter directory,
-- and only its own (subscriber = its role's topic). Writing a cursor still needs the tenant.
CREATE POLICY own_cursor_directory ON subscription FOR SELECT USING (subscriber = role_topic());
