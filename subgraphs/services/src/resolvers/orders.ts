import { randomUUID } from 'node:crypto';
import type { MikroORM, SqlEntityManager } from '@mikro-orm/postgresql';
import { badInput, conflict, forbidden, hasScope, isUuid, notFound, requireScope } from '@trellis/platform';
import { afterWrite, type Context } from '../context.ts';
import { AWAITING_RESPONSE, CANCELLABLE, ESCALATION_KINDS, expectState } from '../domain/flow.ts';
import { CATEGORY_COLUMNS, ORDER_COLUMNS, orderDates, RESOURCE_COLUMNS, type CategoryRow, type OrderRow, type OrderState, type ResourceRow } from '../loaders.ts';
import { rankCandidates } from './matching.ts';

interface SubmitInput { unitId: string; categoryId: string; title: string; description?: string | null; residentName: string; residentPhone?: string | null; channel: string }

const HOUR = 3_600_000;

export function text(value: string, field: string, max: number): string {
  const v = value.trim();
  if (v.length < 1 || v.length > max) throw badInput(`${field} must have 1 to ${max} characters.`, field);
  return v;
}
export function phone(value: string | null | undefined, field: string): string | null {
  if (!value) return null;
  const p = value.trim();
  if (!/^[0-9+ -]{5,20}$/.test(p)) throw badInput('The phone number may hold only digits, spaces, + and - (5 to 20 characters).', field);
  return p;
}

/**
 * A unit known to this service and inside the caller's scope; NOT_FOUND otherwise. A member
 * may name any unit of the tenant to read its lists: what they see of them is bounded by the
 * row policies (the orders and wishes they take part in, their community's board), not by
 * their own unit's subtree.
 */
export async function requireUnit(ctx: Context, id: string, purpose: 'read' | 'write' = 'write'): Promise<void> {
  if (!isUuid(id)) throw notFound('OrgUnit', id);
  const memberReading = purpose === 'read' && ctx.principal.role === 'MEMBER';
  const rows = await ctx.em.execute<{ visible: boolean }[]>('select (? or platform.in_scope(path)) as visible from services.unit_path where unit_id = ?', [memberReading, id]);
  if (!rows[0]?.visible) throw notFound('OrgUnit', id);
}

export async function requireCategory(ctx: Context, id: string): Promise<CategoryRow> {
  if (!isUuid(id)) throw notFound('ServiceCategory', id);
  const rows = await ctx.em.execute<CategoryRow[]>(`select ${CATEGORY_COLUMNS} from services.category c where c.id = ?`, [id]);
  if (!rows[0]) throw notFound('ServiceCategory', id);
  return rows[0];
}

/**
 * The order locked for this transaction, or NOT_FOUND. The row lock is what resolves races:
 * a second claimer waits here, then reads the state the first one committed.
 */
async function lockOrder(ctx: Context, id: string): Promise<OrderRow> {
  if (!isUuid(id)) throw notFound('ServiceOrder', id);
  const rows = await ctx.em.execute<OrderRow[]>(`select ${ORDER_COLUMNS} from services.service_order_view o where o.id = ? for update`, [id]);
  if (!rows[0]) throw notFound('ServiceOrder', id);
  return orderDates(rows[0]);
}

/** Applies a state change with its column updates and records the transition (who, when, from which state). */
async function move(ctx: Context, o: OrderRow, action: string, to: OrderState, set: Record<string, unknown> = {}, note: string | null = null): Promise<OrderRow> {
  const now = ctx.now();
  const cols = Object.keys(set);
  await ctx.em.execute(
    `update services.service_order set state = ?, updated_at = ?, updated_by = ?${cols.map((c) => `, ${c} = ?`).join('')} where id = ?`,
    [to, now, ctx.principal.sub, ...cols.map((c) => set[c]), o.id],
  );
  await ctx.em.execute(
    'insert into services.order_transition (tenant_id, order_id, from_state, to_state, action, actor, at, note) values (?, ?, ?, ?, ?, ?, ?, ?)',
    [ctx.principal.tenantId, o.id, o.state, to, action, ctx.principal.sub, now, note],
  );
  afterWrite(ctx);
  const row = await ctx.loaders.order.load(o.id);
  if (!row) throw notFound('ServiceOrder', o.id);
  return row;
}

/** The provider's own actions: the dispatched member themself, or an administrator with services:write. */
function requireProviderOrAdmin(ctx: Context, o: OrderRow): void {
  if (hasScope(ctx.principal, 'services:write')) return;
  if (ctx.principal.memberId && o.provider_member_id === ctx.principal.memberId) return;
  throw forbidden('Only the provider the order was given to, or an administrator, may do this.');
}

/** Who a claim is for: a member claims for themself; an administrator names the member. */
export function claimant(ctx: Context, memberId: string | null | undefined): string {
  if (ctx.principal.memberId && (memberId == null || memberId === ctx.principal.memberId)) return ctx.principal.memberId;
  if (!hasScope(ctx.principal, 'services:write')) throw forbidden('A member claims for themself; claiming for another member needs the "services:write" permission.');
  if (!memberId) throw badInput('Name the member the claim is for (memberId).', 'memberId');
  if (!isUuid(memberId)) throw badInput('memberId must be a member id (UUID).', 'memberId');
  return memberId;
}

async function dispatchTo(ctx: Context, o: OrderRow, r: ResourceRow, action: string, note: string | null) {
  return move(ctx, o, action, 'DISPATCHED', {
    provider_kind: r.provider_kind, provider_member_id: r.member_id, provider_stationed_unit_id: r.stationed_unit_id,
    provider_name: r.provider_name, resource_id: r.id,
  }, note);
}

export const orderMutations = {
  async submitOrder(_: unknown, { input }: { input: SubmitInput }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const title = text(input.title, 'input.title', 100);
    const residentName = text(input.residentName, 'input.residentName', 50);
    const residentPhone = phone(input.residentPhone, 'input.residentPhone');
    await requireUnit(ctx, input.unitId);
    const c = await requireCategory(ctx, input.categoryId);
    const now = ctx.now();
    const id = randomUUID();
    await ctx.em.execute(
      `insert into services.service_order (id, tenant_id, unit_id, org_path, category_id, title, description, resident_name, resident_phone,
         channel, submitted_by, state, submitted_at, response_due, completion_due, updated_at, updated_by)
       values (?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, 'SUBMITTED', ?, ?, ?, ?, ?)`,
      [id, ctx.principal.tenantId, input.unitId, c.id, title, input.description ?? null, residentName, residentPhone, input.channel,
        ctx.principal.sub, now, new Date(now.getTime() + c.response_hours * HOUR), new Date(now.getTime() + c.completion_hours * HOUR), now, ctx.principal.sub],
    );
    await ctx.em.execute(
      `insert into services.order_transition (tenant_id, order_id, from_state, to_state, action, actor, at) values (?, ?, null, 'SUBMITTED', 'submit', ?, ?)`,
      [ctx.principal.tenantId, id, ctx.principal.sub, now],
    );
    afterWrite(ctx);
    const row = await ctx.loaders.order.load(id);
    if (!row) throw notFound('ServiceOrder', id);
    return row;
  },

  async triageOrder(_: unknown, { id, categoryId }: { id: string; categoryId?: string | null }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const o = await lockOrder(ctx, id);
    expectState('order', o.state, ['SUBMITTED'], 'triage');
    if (categoryId && categoryId !== o.category_id) {
      // Re-categorised: the deadlines follow the new category, still counted from submission.
      const c = await requireCategory(ctx, categoryId);
      const at = o.submitted_at.getTime();
      return move(ctx, o, 'triage', 'TRIAGED', { category_id: c.id, response_due: new Date(at + c.response_hours * HOUR), completion_due: new Date(at + c.completion_hours * HOUR) }, `category ${c.code}`);
    }
    return move(ctx, o, 'triage', 'TRIAGED');
  },

  async dispatchOrder(_: unknown, { id, resourceId }: { id: string; resourceId: string }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const o = await lockOrder(ctx, id);
    expectState('order', o.state, ['TRIAGED'], 'dispatch');
    if (!isUuid(resourceId)) throw notFound('Resource', resourceId);
    const rows = await ctx.em.execute<ResourceRow[]>(`select ${RESOURCE_COLUMNS} from services.resource r where r.id = ?`, [resourceId]);
    const r = rows[0];
    if (!r) throw notFound('Resource', resourceId);
    if (!r.active) throw conflict('This offer is no longer active; choose another provider.');
    return dispatchTo(ctx, o, r, 'dispatch', null);
  },

  async dispatchAutomatically(_: unknown, { id }: { id: string }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const o = await lockOrder(ctx, id);
    expectState('order', o.state, ['TRIAGED'], 'dispatch automatically');
    const ranked = await rankCandidates(ctx, o, 10);
    const top = ranked.find((c) => c.load > 0);
    if (!top) throw conflict('No provider with spare capacity offers this kind of service for this area; post the order for claiming or register an offer.');
    return dispatchTo(ctx, o, top.resource, 'dispatch-auto', `score ${top.score}`);
  },

  async postOrderForClaiming(_: unknown, { id }: { id: string }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const o = await lockOrder(ctx, id);
    expectState('order', o.state, ['TRIAGED'], 'post for claiming');
    // posted_at puts it on the claiming board of its community (migration 007), also once taken.
    return move(ctx, o, 'post', 'POSTED', { posted_at: ctx.now() });
  },

  async claimOrder(_: unknown, { id, memberId }: { id: string; memberId?: string | null }, ctx: Context) {
    const member = claimant(ctx, memberId);
    const o = await lockOrder(ctx, id);
    if (o.state !== 'POSTED') throw conflict(o.state === 'ACCEPTED' || o.state === 'IN_PROGRESS' ? 'Someone else has already claimed this order.' : `The order is ${o.state}; only a POSTED order can be claimed.`);
    return move(ctx, o, 'claim', 'ACCEPTED', {
      provider_kind: 'MEMBER', provider_member_id: member, provider_stationed_unit_id: null, provider_name: null, resource_id: null, accepted_at: ctx.now(),
    });
  },

  async acceptOrder(_: unknown, { id }: { id: string }, ctx: Context) {
    const o = await lockOrder(ctx, id);
    requireProviderOrAdmin(ctx, o);
    expectState('order', o.state, ['DISPATCHED'], 'accept');
    return move(ctx, o, 'accept', 'ACCEPTED', { accepted_at: ctx.now() });
  },

  async declineOrder(_: unknown, { id, reason }: { id: string; reason: string }, ctx: Context) {
    const o = await lockOrder(ctx, id);
    requireProviderOrAdmin(ctx, o);
    expectState('order', o.state, ['DISPATCHED'], 'decline');
    const why = text(reason, 'reason', 200);
    return move(ctx, o, 'decline', 'TRIAGED', { provider_kind: null, provider_member_id: null, provider_stationed_unit_id: null, provider_name: null, resource_id: null }, why);
  },

  async startOrder(_: unknown, { id }: { id: string }, ctx: Context) {
    const o = await lockOrder(ctx, id);
    requireProviderOrAdmin(ctx, o);
    expectState('order', o.state, ['ACCEPTED'], 'start');
    return move(ctx, o, 'start', 'IN_PROGRESS');
  },

  async completeOrder(_: unknown, { id, hours }: { id: string; hours: number }, ctx: Context) {
    const o = await lockOrder(ctx, id);
    requireProviderOrAdmin(ctx, o);
    expectState('order', o.state, ['ACCEPTED', 'IN_PROGRESS'], 'complete');
    if (!(hours >= 0 && hours <= 1000)) throw badInput('Hours served must be between 0 and 1000.', 'hours');
    return move(ctx, o, 'complete', 'DONE', { done_at: ctx.now(), hours: Math.round(hours * 100) / 100 });
  },

  async rateOrder(_: unknown, { id, rating, comment, reopen }: { id: string; rating: number; comment?: string | null; reopen?: boolean | null }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw badInput('The rating is one of five levels, 1 (dissatisfied) to 5 (very satisfied).', 'rating');
    const o = await lockOrder(ctx, id);
    expectState('order', o.state, ['DONE'], 'rate');
    if (reopen) {
      if (rating > 2) throw badInput('Only an unsatisfied rating (1 or 2) can reopen an order; rate it without reopen to close it.', 'reopen');
      return move(ctx, o, 'reopen', 'IN_PROGRESS', { done_at: null }, `rated ${rating}${comment ? `: ${comment}` : ''}`);
    }
    const now = ctx.now();
    const closed = await move(ctx, o, 'rate', 'CLOSED', { rating, rating_comment: comment ?? null, closed_at: now });
    // The members subgraph turns this into volunteer points; published in this transaction (outbox).
    await ctx.em.execute("select events.publish('service.completed', ?::jsonb)", [JSON.stringify({
      orderId: o.id, memberId: o.provider_member_id, stationedUnitId: o.provider_stationed_unit_id, unitId: o.unit_id,
      hours: o.hours ?? 0, rating, completedAt: now.toISOString(),
    })]);
    return closed;
  },

  async cancelOrder(_: unknown, { id, reason }: { id: string; reason?: string | null }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const o = await lockOrder(ctx, id);
    expectState('order', o.state, CANCELLABLE, 'cancel');
    return move(ctx, o, 'cancel', 'CANCELLED', {}, reason ?? null);
  },

  async escalateOverdueOrders(_: unknown, __: unknown, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const n = await escalate(ctx.em, ctx.principal.tenantId, ctx.principal.sub, ctx.now());
    afterWrite(ctx);
    return n;
  },
};

/** How many due orders one batch of the sweep escalates (one statement; one transaction in the timed job). */
export const ESCALATION_BATCH = 500;

/**
 * One batch of the sweep: up to `limit` due orders of the session's tenant and scope
 * (escalate_at < now, read in index order from the partial index of migration 005), locked
 * with SKIP LOCKED so a sweep never waits behind a claim or a dispatch (a skipped order is
 * due again on the next run). Each is escalated one level up the tree per missed deadline
 * (response → community, completion → street); the target is the nearest ancestor of that
 * kind, found among the ancestors named by the order's path labels by primary key (the labels
 * become uuids before the join: joined as text cast in the condition, the planner could not
 * estimate the join and hashed a scan of the whole tree for every order). Every
 * escalation is recorded as a transition. Returns how many due orders the batch read and
 * how many it escalated.
 */
export async function escalateBatch(em: SqlEntityManager, tenantId: string, actor: string, now: Date, limit = ESCALATION_BATCH): Promise<{ read: number; escalated: number }> {
  const rows = await em.execute<{ read: number; escalated: number }[]>(
    `with due as materialized (
       select o.id, o.state, o.org_path, o.escalation_level,
              case when o.completion_due < ? then 2 when o.response_due < ? and o.state = any(?::text[]) then 1 else 0 end as level
         from services.service_order o
        where o.tenant_id = platform.current_tenant() and o.escalate_at < ?
        order by o.escalate_at, o.id
        limit ?
          for update skip locked
     ), target as (
       select d.id, d.level, t.unit_id, t.name from due d
         left join lateral (
           select u.unit_id, u.name
             from unnest(string_to_array(d.org_path::text, '.')::uuid[]) with ordinality as a(unit_id, depth)
             join services.unit_path u on u.tenant_id = platform.current_tenant() and u.unit_id = a.unit_id
            where u.kind = any(case d.level when 2 then ?::text[] else ?::text[] end)
            order by a.depth desc limit 1) t on true
        where d.level > d.escalation_level
     ), escalated as (
       update services.service_order o
          set escalation_level = t.level, overdue = true, escalated_to = coalesce(t.unit_id, o.escalated_to), updated_at = ?, updated_by = ?
         from target t where o.id = t.id
       returning o.id, o.state, t.level, t.name
     ), logged as (
       insert into services.order_transition (tenant_id, order_id, from_state, to_state, action, actor, at, note)
       select ?::uuid, e.id, e.state, e.state, 'escalate', ?, ?,
              case e.level when 2 then 'completion' else 'response' end || ' deadline missed; escalated to ' || coalesce(e.name, 'the next level')
         from escalated e
     )
     select (select count(*) from due)::int as read, (select count(*) from escalated)::int as escalated`,
    [now, now, `{${AWAITING_RESPONSE.join(',')}}`, now, limit, `{${ESCALATION_KINDS[2].join(',')}}`, `{${ESCALATION_KINDS[1].join(',')}}`,
      now, actor, tenantId, actor, now],
  );
  return rows[0]!;
}

/**
 * Marks open orders in the session's scope that missed a deadline as overdue and escalates them
 * one level up the tree per missed deadline (response → community, completion → street), batch
 * after batch in the caller's transaction. Idempotent: an order already at its level is not
 * due. Returns how many orders changed.
 */
export async function escalate(em: SqlEntityManager, tenantId: string, actor: string, now: Date, batch = ESCALATION_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const { read, escalated } = await escalateBatch(em, tenantId, actor, now, batch);
    total += escalated;
    // A short batch is the last; a batch that escalated nothing would read the same rows again.
    if (read < batch || escalated === 0) return total;
  }
}

/** How often production escalates (every tenant, whole tenant scope, actor `system`). */
export const ESCALATION_INTERVAL_MS = 5 * 60_000;

/**
 * The timed job: every tenant, each batch in its own transaction (locks are held for one batch
 * only, and what is done stays done if the job stops). A tenant that fails does not hold up
 * the others; the failures are reported together at the end.
 */
export async function escalateEverywhere(orm: MikroORM, now: () => Date, batch = ESCALATION_BATCH): Promise<number> {
  // events.counter is the platform's tenant directory (readable by every service role).
  const tenants = await orm.em.fork().execute<{ tenant_id: string }[]>(`select tenant_id::text from events.counter where topic = 'organisation' order by tenant_id`);
  let total = 0;
  const failures: Error[] = [];
  for (const { tenant_id } of tenants) {
    const em = orm.em.fork({ session: { variables: { 'app.tenant_id': tenant_id, 'app.scope_unit': '', 'app.principal': 'system' } } }) as SqlEntityManager;
    try {
      for (;;) {
        const { read, escalated } = await em.transactional((tx) => escalateBatch(tx, tenant_id, 'system', now(), batch));
        total += escalated;
        if (read < batch || escalated === 0) break;
      }
    } catch (e) {
      failures.push(new Error(`escalating the orders of tenant ${tenant_id} failed: ${(e as Error).message}`, { cause: e }));
    }
  }
  if (failures.length) throw new AggregateError(failures, `the escalation sweep failed for ${failures.length} tenant(s)`);
  return total;
}
