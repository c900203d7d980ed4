import { expect } from '@jest/globals';
import { gql } from '@trellis/platform/testkit/index.ts';
import type { TestStack } from '@trellis/infra/testing.ts';

/** A clock the tests move by hand: deadlines are tested without waiting. Starts 15 June 2026, 10:00 China time. */
export function movableClock(start = '2026-06-15T02:00:00Z') {
  let now = new Date(start);
  return { now: () => now, advanceHours: (h: number) => { now = new Date(now.getTime() + h * 3_600_000); } };
}

export const COMMUNITY = '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委';
export const GRID = `${COMMUNITY}/第一网格党支部`;
export const GROUP = `${GRID}/1号楼党小组`;
export const STREET = '中共黄石市委/黄石港区/黄石港街道';
export const DISTRICT = '中共黄石市委/黄石港区';

export const ORDER_FIELDS = `id state title residentPhone overdue escalationLevel escalatedTo { id } rating hours
  provider { kind name member { id } } category { code } organisation { id }
  transitions { from to action actor note }`;

/** Runs an operation and fails the test on any error. */
export async function ok<T>(url: string, token: string, query: string, vars: Record<string, unknown> = {}): Promise<T> {
  const r = await gql<T>(url, token, query, vars);
  expect(r.errors).toBeUndefined();
  return r.data!;
}

export async function categoryId(t: TestStack, token: string, code: string): Promise<string> {
  const d = await ok<{ serviceCatalogue: { id: string; code: string }[] }>(t.url, token, '{ serviceCatalogue { id code } }');
  const c = d.serviceCatalogue.find((x) => x.code === code);
  if (!c) throw new Error(`no category ${code}`);
  return c.id;
}

export async function submit(t: TestStack, token: string, unitId: string, catId: string, title = '帮忙代购药品') {
  const d = await ok<{ submitOrder: { id: string; state: string } }>(t.url, token,
    `mutation($i: SubmitOrderInput!) { submitOrder(input: $i) { id state } }`,
    { i: { unitId, categoryId: catId, title, residentName: '王阿姨', residentPhone: '13912345836', channel: 'GRID_WORKER' } });
  return d.submitOrder.id;
}

/** Demo members of a tenant (read as the administrator, like infra tooling). */
export async function memberIds(t: TestStack, tenant: string, n: number): Promise<string[]> {
  const { rows } = await t.db.query<{ id: string }>('select id::text from members.member where tenant_id = $1 order by id limit $2', [t.tenants[tenant]!.id, n]);
  return rows.map((r) => r.id);
}

/**
 * Members whose own unit lies in a community's subtree (read as the administrator, like infra
 * tooling), with the unit their token names: their claiming board is that community.
 */
export async function communityMembers(t: TestStack, tenant: string, communityKey: string, n: number): Promise<{ id: string; unitId: string }[]> {
  const { rows } = await t.db.query<{ id: string; unit_id: string }>(
    `select m.id::text, m.org_unit_id::text as unit_id from members.member m
      where m.tenant_id = $1 and m.org_path <@ (select path from members.unit_path where tenant_id = $1 and unit_id = $2)
      order by m.id limit $3`, [t.tenants[tenant]!.id, t.unit(tenant, communityKey), n]);
  return rows.map((r) => ({ id: r.id, unitId: r.unit_id }));
}

/** A MEMBER token as the identity provider issues it: the member, their subject and their unit. */
export function memberToken(t: TestStack, tenant: string, m: { id: string; unitId?: string }): Promise<string> {
  return t.token(tenant, 'MEMBER', { memberId: m.id, sub: `member-${m.id}`, scopeUnitId: m.unitId });
}

export interface Statistics {
  ordersByState: { state: string; count: number }[]; totalOrders: number; closureRate: number | null; onTimeRate: number | null;
  averageSatisfaction: number | null; medianHoursToClose: number | null; overdue: number; wishesFulfilled: number; totalWishes: number;
}
export const STAT_FIELDS = 'ordersByState { state count } totalOrders closureRate onTimeRate averageSatisfaction medianHoursToClose overdue wishesFulfilled totalWishes';

/** The same statistics computed directly from the orders and wishes (administrative connection, no summaries). */
export async function directStatistics(db: { query: TestStack['db']['query'] }, tenantId: string, unitId: string): Promise<Statistics> {
  const sub = `(select path from services.unit_path where tenant_id = $1 and unit_id = $2)`;
  const { rows: states } = await db.query<{ state: string; count: number }>(
    `select state, count(*)::int as count from services.service_order where tenant_id = $1 and org_path <@ ${sub} group by state`, [tenantId, unitId]);
  const { rows: [a] } = await db.query<{ total: number; live: number; closed: number; on_time: number; avg: number | null; median: number | null; overdue: number }>(
    `select count(*)::int as total, count(*) filter (where state <> 'CANCELLED')::int as live, count(*) filter (where state = 'CLOSED')::int as closed,
            count(*) filter (where state = 'CLOSED' and done_at <= completion_due)::int as on_time,
            avg(rating) filter (where state = 'CLOSED')::float8 as avg,
            percentile_disc(0.5) within group (order by services.close_hours_bucket(extract(epoch from closed_at - submitted_at) / 3600)) filter (where state = 'CLOSED') as median,
            count(*) filter (where overdue and state not in ('DONE', 'CLOSED', 'CANCELLED'))::int as overdue
       from services.service_order where tenant_id = $1 and org_path <@ ${sub}`, [tenantId, unitId]);
  const { rows: [w] } = await db.query<{ total: number; fulfilled: number }>(
    `select count(*)::int as total, count(*) filter (where state in ('FULFILLED', 'CONFIRMED', 'ARCHIVED'))::int as fulfilled
       from services.micro_wish where tenant_id = $1 and org_path <@ ${sub}`, [tenantId, unitId]);
  const order = ['SUBMITTED', 'TRIAGED', 'DISPATCHED', 'POSTED', 'ACCEPTED', 'IN_PROGRESS', 'DONE', 'CLOSED', 'CANCELLED'];
  return {
    ordersByState: states.sort((x, y) => order.indexOf(x.state) - order.indexOf(y.state)),
    totalOrders: a!.total,
    closureRate: a!.live ? a!.closed / a!.live : null,
    onTimeRate: a!.closed ? a!.on_time / a!.closed : null,
    averageSatisfaction: a!.avg,
    medianHoursToClose: a!.median == null ? null : Number(a!.median),
    overdue: a!.overdue,
    wishesFulfilled: w!.fulfilled,
    totalWishes: w!.total,
  };
}

/** Compares floats with a tolerance (averages are summed in a different order). */
export function expectSameStatistics(got: Statistics, want: Statistics): void {
  const round = (s: Statistics) => ({ ...s, averageSatisfaction: s.averageSatisfaction == null ? null : Math.round(s.averageSatisfaction * 1e9) / 1e9,
    closureRate: s.closureRate == null ? null : Math.round(s.closureRate * 1e9) / 1e9, onTimeRate: s.onTimeRate == null ? null : Math.round(s.onTimeRate * 1e9) / 1e9 });
  expect(round(got)).toEqual(round(want));
}
