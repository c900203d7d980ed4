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
