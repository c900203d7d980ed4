import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createFollower, createLogger, type Subscription } from '@trellis/platform';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { unitPathSubscription } from '../src/unitPath.ts';
import { NOW } from './helpers.ts';

// The members subgraph keeps its own copy of every unit's ancestry from the organisation
// subgraph's events. These tests stop and start that copy's follower the way a restarted service
// does, and rebuild the copy from the whole stream.
let t: TestStack;
let city: string;
const STREET_A = '中共黄石市委/黄石港区/黄石港街道';
const STREET_B = '中共黄石市委/黄石港区/红旗桥街道';
const COMMUNITY = `${STREET_A}/磁湖社区党总支`;

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
  await t.catchUpEvents();
});
afterAll(() => t.close());

const total = async (key: string) => {
  const r = await gql<{ orgUnit: { memberStatistics: { total: number } } }>(t.url, city, 'query($id: ID!) { orgUnit(id: $id) { memberStatistics { total } } }', { id: t.unit('huangshi', key) });
  expect(r.errors).toBeUndefined();
  return r.data!.orgUnit.memberStatistics.total;
};
/** Party members below a unit, counted from the raw rows by the organisation subgraph's own paths. */
const direct = async (key: string) => (await t.db.query<{ n: number }>(
  `select count(*)::int n from members.member m join organisation.org_unit u on u.id = m.org_unit_id
    where u.path <@ (select path from organisation.org_unit where id = $1) and m.stage in ('PROBATIONARY', 'FULL') and m.membership_status = 'ACTIVE'`,
  [t.unit('huangshi', key)])).rows[0]!.n;
const copy = async () => (await t.db.query<Record<string, string>>(
  `select tenant_id, unit_id, parent_id, kind, name, status, path::text, last_seq from members.unit_path order by tenant_id, unit_id`)).rows;
const memberPaths = async () => (await t.db.query<Record<string, string>>(`select id, org_path::text from members.member order by id`)).rows;

describe("the members subgraph's copy of the organisation tree", () => {
  it('a members service stopped while a community moved catches up when it starts, and every rollup follows', async () => {
    const before = { a: await total(STREET_A), b: await total(STREET_B), community: await direct(COMMUNITY) };
    expect(before.community).toBeGreaterThan(0);
    const moved = await gql(t.url, city, 'mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p) { id } }',
      { id: t.unit('huangshi', COMMUNITY), p: t.unit('huangshi', STREET_B) });
    expect(moved.errors).toBeUndefined();
    // The follower is not running (stopped service): the members side still has the old tree.
    expect(await total(STREET_A)).toBe(before.a);
    expect(await total(STREET_B)).toBe(before.b);

    // The service starts: its follower resumes from the durable cursor.
    const orm = t.stack.subgraphs.find((s) => s.name === 'members')!.orm;
    const follower = createFollower(orm, unitPathSubscription as unknown as Subscription, createLogger('test', 'silent'));
    follower.start(20);
    try {
      for (let i = 0; i < 200 && (await total(STREET_B)) === before.b; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await follower.stop();
    }
    expect(await total(STREET_A)).toBe(before.a - before.community);
    expect(await total(STREET_B)).toBe(before.b + before.community);
    expect(await total(STREET_A)).toBe(await direct(STREET_A));
    expect(await total(STREET_B)).toBe(await direct(STREET_B));
    expect(await total('中共黄石市委/黄石港区')).toBe(await direct('中共黄石市委/黄石港区'));
  });

  it('replaying every event from the start rebuilds exactly the same copy', async () => {
    await t.catchUpEvents();
    const [units, members] = [await copy(), await memberPaths()];
    expect(units.length).toBeGreaterThan(700);
    // Damage the copy as the owner would never do: a replay must repair it.
    await t.db.query(`update members.unit_path set name = 'stale', last_seq = 0 where kind = 'GRID'`);
    const follower = t.stack.subgraphs.find((s) => s.name === 'members')!.followers.organisation!;
    const replayed = await follower.replay();
    const { rows } = await t.db.query<{ n: number }>(`select count(*)::int n from events.stream where topic = 'organisation'`);
    expect(replayed).toBe(rows[0]!.n);
    expect(await copy()).toEqual(units);
    expect(await memberPaths()).toEqual(members);
  });
});
