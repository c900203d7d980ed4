-- What a plain party member (role MEMBER) sees of the demand list, enforced by the policies.
--
-- Administrators keep the scope rule (their unit's subtree, app.scope_unit). A member sees:
--   * the orders and wishes they submitted or collected (app.principal);
--   * the orders they are assigned to or claimed, and the wishes they claimed (app.member_id);
--   * the one they changed last (updated_by), so that the answer to their own decline or
--     withdrawal reaches them; it leaves their view as soon as someone else changes it;
--   * the claiming board of their own community: orders posted for claiming and wishes posted
--     there, also once taken (shown as taken, so the losers of a race learn that someone else
--     was first), until the work is done.
-- Their community is the nearest community (or village) at or above the unit their token
-- names (scopeUnitId, in app.scope_unit): their branch, or for in-service members the
-- community they reported to. A member token without a unit sees no board.
-- The resident's name and phone are personal data: a member gets them only for what they
-- submitted or while they hold the order or wish (taken and not yet closed); otherwise the
-- name is masked to the surname and the phone is left out. The service role cannot read those
-- two columns at all; it reads orders and wishes through views that apply this rule.

ALTER TABLE service_order ADD COLUMN updated_by text;
ALTER TABLE service_order ADD COLUMN posted_at timestamptz;
ALTER TABLE micro_wish ADD COLUMN updated_by text;
COMMENT ON COLUMN service_order.updated_by IS 'Who made the last change (token subject, or system); NULL for imported rows.';
COMMENT ON COLUMN service_order.posted_at IS 'When the order was posted for claiming; NULL when it was never on the board.';
COMMENT ON COLUMN micro_wish.updated_by IS 'Who made the last change (token subject); NULL for imported rows.';

-- Orders already posted: from their 'post' transition, or (imported ones) when they last changed.
-- The owner is bound by the policies too (FORCE); it lifts FORCE for this backfill only, inside
-- this migration's transaction.
ALTER TABLE service_order NO FORCE ROW LEVEL SECURITY;
ALTER TABLE order_transition NO FORCE ROW LEVEL SECURITY;
UPDATE service_order o SET posted_at = p.at
  FROM (SELECT order_id, max(at) AS at FROM order_transition WHERE action = 'post' GROUP BY order_id) p
 WHERE o.id = p.order_id;
UPDATE service_order SET posted_at = updated_at WHERE state = 'POSTED' AND posted_at IS NULL;
ALTER TABLE service_order FORCE ROW LEVEL SECURITY;
ALTER TABLE order_transition FORCE ROW LEVEL SECURITY;

-- The caller as the policies see it (session variables set by the platform from the verified
-- principal at the start of every request).
CREATE FUNCTION viewer_is_member() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT coalesce(current_setting('app.role', true), '') = 'MEMBER' $$;
CREATE FUNCTION viewer_member_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('app.member_id', true), '')::uuid $$;
CREATE FUNCTION viewer_sub() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('app.principal', true), '') $$;

-- The member's claiming board as an lquery over paths: the subtree of the nearest community or
-- village at or above the member's unit (the unit itself when there is none); NULL without a
-- unit, which matches nothing. The policies call it as an uncorrelated subquery, so it is
-- worked out once per statement (by primary key, from the unit's path labels as ids).
CREATE FUNCTION member_board() RETURNS lquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT ('*.' || coalesce(
           (SELECT platform.unit_label(c.unit_id)
              FROM services.unit_path u
             CROSS JOIN LATERAL unnest(string_to_array(u.path::text, '.')::uuid[]) WITH ORDINALITY AS a(unit_id, depth)
              JOIN services.unit_path c ON c.tenant_id = u.tenant_id AND c.unit_id = a.unit_id
             WHERE u.tenant_id = platform.current_tenant() AND u.unit_id = platform.scope_label()::uuid
               AND c.kind IN ('COMMUNITY', 'VILLAGE')
             ORDER BY a.depth DESC LIMIT 1),
           platform.scope_label()) || '.*')::lquery
$$;
COMMENT ON FUNCTION member_board() IS 'lquery of the calling member''s community subtree (their claiming board); NULL when the token names no unit.';

DROP POLICY tenant_scope ON service_order;
CREATE POLICY tenant_scope ON service_order
  USING (tenant_id = platform.current_tenant() AND CASE WHEN services.viewer_is_member() THEN
           submitted_by = services.viewer_sub() OR updated_by = services.viewer_sub() OR provider_member_id = services.viewer_member_id()
           OR ((state = 'POSTED' OR (posted_at IS NOT NULL AND state IN ('ACCEPTED', 'IN_PROGRESS'))) AND org_path ~ (SELECT services.member_board()))
         ELSE platform.in_scope(org_path) END)
  WITH CHECK (tenant_id = platform.current_tenant() AND CASE WHEN services.viewer_is_member() THEN
           submitted_by = services.viewer_sub() OR updated_by = services.viewer_sub() OR provider_member_id = services.viewer_member_id()
           OR ((state = 'POSTED' OR (posted_at IS NOT NULL AND state IN ('ACCEPTED', 'IN_PROGRESS'))) AND org_path ~ (SELECT services.member_board()))
         ELSE platform.in_scope(org_path) END);

DROP POLICY tenant_scope ON micro_wish;
CREATE POLICY tenant_scope ON micro_wish
  USING (tenant_id = platform.current_tenant() AND CASE WHEN services.viewer_is_member() THEN
           collected_by = services.viewer_sub() OR updated_by = services.viewer_sub() OR claimed_by_member_id = services.viewer_member_id()
           OR (state IN ('POSTED', 'CLAIMED') AND org_path ~ (SELECT services.member_board()))
         ELSE platform.in_scope(org_path) END)
  WITH CHECK (tenant_id = platform.current_tenant() AND CASE WHEN services.viewer_is_member() THEN
           collected_by = services.viewer_sub() OR updated_by = services.viewer_sub() OR claimed_by_member_id = services.viewer_member_id()
           OR (state IN ('POSTED', 'CLAIMED') AND org_path ~ (SELECT services.member_board()))
         ELSE platform.in_scope(org_path) END);

-- Orders and wishes as the service reads them: every column, the resident's name and phone
-- only where the caller may have them. The views run with their owner's rights, so the
-- policies above still decide which rows exist for the caller.
CREATE VIEW service_order_view AS
SELECT o.id, o.tenant_id, o.unit_id, o.org_path, o.category_id, o.title, o.description,
       CASE WHEN NOT services.viewer_is_member() OR o.submitted_by = services.viewer_sub()
                 OR (o.provider_member_id = services.viewer_member_id() AND o.state IN ('ACCEPTED', 'IN_PROGRESS', 'DONE'))
            THEN o.resident_name ELSE left(o.resident_name, 1) || '**' END AS resident_name,
       CASE WHEN NOT services.viewer_is_member() OR o.submitted_by = services.viewer_sub()
                 OR (o.provider_member_id = services.viewer_member_id() AND o.state IN ('ACCEPTED', 'IN_PROGRESS', 'DONE'))
            THEN o.resident_phone END AS resident_phone,
       o.channel, o.submitted_by, o.state, o.provider_kind, o.provider_member_id, o.provider_stationed_unit_id, o.provider_name,
       o.resource_id, o.submitted_at, o.response_due, o.completion_due, o.accepted_at, o.done_at, o.closed_at, o.hours, o.rating,
       o.rating_comment, o.escalation_level, o.escalated_to, o.overdue, o.updated_at, o.escalate_at, o.updated_by, o.posted_at
  FROM service_order o;
COMMENT ON VIEW service_order_view IS 'service_order with the resident''s name and phone only for administrators, the submitter and the member holding the order.';

CREATE VIEW micro_wish_view AS
SELECT w.id, w.tenant_id, w.unit_id, w.org_path, w.title, w.description,
       CASE WHEN NOT services.viewer_is_member() OR w.collected_by = services.viewer_sub()
                 OR (w.claimed_by_member_id = services.viewer_member_id() AND w.state IN ('CLAIMED', 'FULFILLED'))
            THEN w.resident_name ELSE left(w.resident_name, 1) || '**' END AS resident_name,
       CASE WHEN NOT services.viewer_is_member() OR w.collected_by = services.viewer_sub()
                 OR (w.claimed_by_member_id = services.viewer_member_id() AND w.state IN ('CLAIMED', 'FULFILLED'))
            THEN w.resident_phone END AS resident_phone,
       w.state, w.claimed_by_member_id, w.collected_by, w.collected_at, w.fulfilled_at, w.updated_at, w.updated_by
  FROM micro_wish w;
COMMENT ON VIEW micro_wish_view IS 'micro_wish with the resident''s name and phone only for administrators, the collector and the member holding the wish.';

-- The service role reads the two contact columns only through the views. UPDATE on the views
-- lets SELECT … FOR UPDATE lock an order or wish through them (their contact columns are
-- expressions and cannot be written that way); nothing else is granted on them.
REVOKE ALL ON service_order_view, micro_wish_view FROM trellis_services;
GRANT SELECT, UPDATE ON service_order_view, micro_wish_view TO trellis_services;
REVOKE SELECT ON service_order, micro_wish FROM trellis_services;
GRANT SELECT (id, tenant_id, unit_id, org_path, category_id, title, description, channel, submitted_by, state, provider_kind,
  provider_member_id, provider_stationed_unit_id, provider_name, resource_id, submitted_at, response_due, completion_due,
  accepted_at, done_at, closed_at, hours, rating, rating_comment, escalation_level, escalated_to, overdue, updated_at,
  escalate_at, updated_by, posted_at) ON service_order TO trellis_services;
GRANT SELECT (id, tenant_id, unit_id, org_path, title, description, state, claimed_by_member_id, collected_by, collected_at,
  fulfilled_at, updated_at, updated_by) ON micro_wish TO trellis_services;
