import { notFound, requireScope, scalarResolvers } from '@trellis/platform';
import type { Context } from '../context.ts';
import { FINISHED, maskPhone } from '../domain/flow.ts';
import { encodeCursor, type CategoryRow, type OrderRow, type OrderState, type Page, type ProjectRow, type ResourceRow, type StatRow, type TransitionRow, type WishRow } from '../loaders.ts';
import type { Candidate } from './matching.ts';
import type { ServiceStatistics } from '../generated/resolvers.ts';

const ref = <T extends string>(typename: T, id: string) => ({ __typename: typename, id });
const maybeRef = <T extends string>(typename: T, id: string | null) => (id ? ref(typename, id) : null);
const connection = (page: Page) => {
  const edges = page.rows.map((o) => ({ cursor: encodeCursor(o), node: o }));
  return { edges, pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: page.hasNextPage } };
};

const STATES: OrderState[] = ['SUBMITTED', 'TRIAGED', 'DISPATCHED', 'POSTED', 'ACCEPTED', 'IN_PROGRESS', 'DONE', 'CLOSED', 'CANCELLED'];

/** ServiceStatistics as a unit's resolver returns it: every figure but the median, read only when selected. */
export type ServiceStatisticsView = Omit<ServiceStatistics, 'medianHoursToClose'> & { unitId: string };

/** Subtree statistics from the summed per-unit metrics (see migrations: unit_stat). */
export function statistics(unitId: string, rows: StatRow[]): ServiceStatisticsView {
  const m = new Map(rows.map((r) => [r.metric, Number(r.value)]));
  const get = (k: string) => m.get(k) ?? 0;
  const ordersByState = STATES.map((state) => ({ state, count: get(`state:${state}`) })).filter((s) => s.count > 0);
  const total = ordersByState.reduce((s, x) => s + x.count, 0);
  const closed = get('closed');
  const live = total - get('state:CANCELLED');
  return {
    unitId,
    ordersByState,
    totalOrders: total,
    closureRate: live > 0 ? closed / live : null,
    onTimeRate: closed > 0 ? get('closed_on_time') / closed : null,
    averageSatisfaction: get('rating_n') > 0 ? get('rating_sum') / get('rating_n') : null,
    overdue: get('overdue'),
    wishesFulfilled: get('wishes_fulfilled'),
    totalWishes: [...m.entries()].filter(([k]) => k.startsWith('wish:')).reduce((s, [, v]) => s + v, 0),
  };
}

/**
 * Lower median over the close-time histogram (buckets keyed by their first hour: hours below
 * 48, whole days up to 1440; migration 006): the first bucket whose running count reaches half.
 */
export function medianHoursToClose(rows: StatRow[]): number | null {
  const hist = rows.map((r) => [Number(r.metric.slice(12)), Number(r.value)] as const).sort((a, b) => a[0] - b[0]);
  const n = hist.reduce((s, [, c]) => s + c, 0);
  for (let i = 0, cum = 0; i < hist.length && n > 0; i++) {
    cum += hist[i]![1];
    if (cum * 2 >= n) return hist[i]![0];
  }
  return null;
}

export const typeResolvers = {
  DateTime: scalarResolvers.DateTime,
  Date: scalarResolvers.Date,
  ServiceOrder: {
    __resolveReference: (r: { id: string }, ctx: Context) => ctx.loaders.order.load(r.id),
    async category(o: OrderRow, _: unknown, ctx: Context) {
      const c = await ctx.loaders.category.load(o.category_id);
      if (!c) throw notFound('ServiceCategory', o.category_id);
      return c;
    },
    organisation: (o: OrderRow) => ref('OrgUnit', o.unit_id),
    residentName: (o: OrderRow) => o.resident_name,
    residentPhone: (o: OrderRow) => (o.resident_phone ? maskPhone(o.resident_phone) : null),
    submittedBy: (o: OrderRow) => o.submitted_by,
    provider: (o: OrderRow) => (o.provider_kind ? o : null),
    submittedAt: (o: OrderRow) => o.submitted_at,
    responseDue: (o: OrderRow) => o.response_due,
    completionDue: (o: OrderRow) => o.completion_due,
    acceptedAt: (o: OrderRow) => o.accepted_at,
    doneAt: (o: OrderRow) => o.done_at,
    closedAt: (o: OrderRow) => o.closed_at,
    ratingComment: (o: OrderRow) => o.rating_comment,
    overdue: (o: OrderRow) => o.overdue && !FINISHED.includes(o.state),
    escalationLevel: (o: OrderRow) => o.escalation_level,
    escalatedTo: (o: OrderRow) => maybeRef('OrgUnit', o.escalated_to),
    transitions: (o: OrderRow, _: unknown, ctx: Context) => ctx.loaders.orderTransitions.load(o.id),
  },
  Provider: {
    // A Provider is only resolved for orders that have one (ServiceOrder.provider).
    kind: (o: OrderRow) => o.provider_kind ?? 'MEMBER',
    name: (o: OrderRow) => o.provider_name ?? (o.provider_kind === 'MEMBER' ? '党员' : '驻区单位'),
    member: (o: OrderRow) => maybeRef('Member', o.provider_member_id),
    stationedUnit: (o: OrderRow) => maybeRef('StationedUnit', o.provider_stationed_unit_id),
  },
  Transition: {
    from: (t: TransitionRow) => t.from_state,
    to: (t: TransitionRow) => t.to_state,
  },
  MicroWish: {
    __resolveReference: (r: { id: string }, ctx: Context) => ctx.loaders.wish.load(r.id),
    organisation: (w: WishRow) => ref('OrgUnit', w.unit_id),
    residentName: (w: WishRow) => w.resident_name,
    residentPhone: (w: WishRow) => (w.resident_phone ? maskPhone(w.resident_phone) : null),
    claimedBy: (w: WishRow) => maybeRef('Member', w.claimed_by_member_id),
    collectedAt: (w: WishRow) => w.collected_at,
    fulfilledAt: (w: WishRow) => w.fulfilled_at,
    transitions: (w: WishRow, _: unknown, ctx: Context) => ctx.loaders.wishTransitions.load(w.id),
  },
  ServiceCategory: {
    parentId: (c: { parent_id: string | null }) => c.parent_id,
    responseHours: (c: { response_hours: number }) => c.response_hours,
    completionHours: (c: { completion_hours: number }) => c.completion_hours,
  },
  Resource: {
    providerKind: (r: ResourceRow) => r.provider_kind,
    providerName: (r: ResourceRow) => r.provider_name,
    member: (r: ResourceRow) => maybeRef('Member', r.member_id),
    stationedUnit: (r: ResourceRow) => maybeRef('StationedUnit', r.stationed_unit_id),
    unit: (r: ResourceRow) => ref('OrgUnit', r.unit_id),
    serves: (r: ResourceRow) => ref('OrgUnit', r.serves_unit_id),
    categories: async (r: ResourceRow, _: unknown, ctx: Context) =>
      (await ctx.loaders.category.loadMany(r.category_ids)).filter((c): c is CategoryRow => c !== null && !(c instanceof Error)),
    fromHour: (r: ResourceRow) => r.from_hour,
    toHour: (r: ResourceRow) => r.to_hour,
  },
  Project: {
    leadUnit: (p: ProjectRow) => ref('OrgUnit', p.lead_unit_id),
    supportingUnits: (p: ProjectRow) => p.supporting_unit_ids.map((id) => ref('OrgUnit', id)),
    ownerName: (p: ProjectRow) => p.owner_name,
  },
  Candidate: {
    resource: (c: Candidate) => c.resource,
  },
  ServiceStatistics: {
    medianHoursToClose: async (s: ServiceStatisticsView, _: unknown, ctx: Context) => medianHoursToClose(await ctx.loaders.closeHours.load(s.unitId)),
  },
  OrgUnit: {
    __resolveReference: (r: { id: string }) => ({ id: r.id }),
    async serviceStatistics(u: { id: string }, _: unknown, ctx: Context) {
      requireScope(ctx.principal, 'services:read');
      return statistics(u.id, await ctx.loaders.statistics.load(u.id));
    },
    async serviceOrders(u: { id: string }, args: { first: number; after?: string | null; state?: OrderState | null }, ctx: Context) {
      requireScope(ctx.principal, 'services:read');
      return connection(await ctx.loaders.unitOrders.load({ owner: u.id, args: { first: args.first, after: args.after ?? null, state: args.state ?? null } }));
    },
  },
  Member: {
    __resolveReference: (r: { id: string }) => ({ id: r.id }),
    async volunteerHours(m: { id: string }, _: unknown, ctx: Context) {
      if (ctx.principal.memberId !== m.id) requireScope(ctx.principal, 'services:read');
      return ctx.loaders.volunteerHours.load(m.id);
    },
    async serviceHistory(m: { id: string }, args: { first: number; after?: string | null }, ctx: Context) {
      if (ctx.principal.memberId !== m.id) requireScope(ctx.principal, 'services:read');
      return connection(await ctx.loaders.memberOrders.load({ owner: m.id, args: { first: args.first, after: args.after ?? null, state: null } }));
    },
  },
};

export const queryResolvers = {
  async serviceOrder(_: unknown, { id }: { id: string }, ctx: Context) {
    requireScope(ctx.principal, 'services:read');
    const o = await ctx.loaders.order.load(id);
    if (!o) throw notFound('ServiceOrder', id);
    return o;
  },
  async microWish(_: unknown, { id }: { id: string }, ctx: Context) {
    requireScope(ctx.principal, 'services:read');
    const w = await ctx.loaders.wish.load(id);
    if (!w) throw notFound('MicroWish', id);
    return w;
  },
};
