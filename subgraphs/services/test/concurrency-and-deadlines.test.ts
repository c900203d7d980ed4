import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import pg from 'pg';
import { applyUnitChanged, escalateEverywhere } from '../src/index.ts';
import { COMMUNITY, DISTRICT, GRID, GROUP, STAT_FIELDS, STREET, categoryId, directStatistics, expectSameStatistics, memberIds, memberToken, movableClock, ok, submit, type Statistics } from './helpers.ts';

const clock = movableClock();
let t: TestStack;
let admin: string;
let community: string;
let medicine: string;
let tenantId: string;

beforeAll(async () => {
  t = await startTestStack({ clock: clock.now });
  admin = await t.token('huangshi', 'CITY_ADMIN');
  community = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: COMMUNITY });
  medicine = await categoryId(t, admin, 'HEALTH.CARE.MEDICINE');
  tenantId = t.tenants.huangshi!.id;
});
afterAll(() => t.close());

const statsOf = async (unitKey: string) => (await ok<{ orgUnit: { serviceStatistics: Statistics } }>(t.url, admin,
  `query($id: ID!) { orgUnit(id: $id) { serviceStatistics { ${STAT_FIELDS} } } }`, { id: t.unit('huangshi', unitKey) })).orgUnit.serviceStatistics;

describe('two members cannot take the same order or wish', () => {
  it('50 parallel claims of a posted order through the gateway: exactly one succeeds, 49 get CONFLICT', async () => {
    const members = await memberIds(t, 'huangshi', 50);
    expect(members).toHaveLength(50);
    // In-service members who reported in at the community (双报到): their tokens name it, so its board is theirs.
    const tokens = await Promise.all(members.map((id) => memberToken(t, 'huangshi', { id, unitId: t.unit('huangshi', COMMUNITY) })));
    const id = await submit(t, community, t.unit('huangshi', GROUP), medicine);
    await ok(t.url, community, 'mutation($id: ID!) { triageOrder(id: $id) { state } }', { id });
    await ok(t.url, community, 'mutation($id: ID!) { postOrderForClaiming(id: $id) { state } }', { id });
    const results = await Promise.all(tokens.map((tok) => gql<{ claimOrder: { provider: { member: { id: string } } } }>(t.url, tok,
      'mutation($id: ID!) { claimOrder(id: $id) { provider { member { id } } } }', { id })));
    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    expect(results.flatMap((r) => codes(r)).sort()).toEqual(Array(49).fill('CONFLICT'));
    const { rows } = await t.db.query<{ provider_member_id: string; claims: number }>(
      `select o.provider_member_id::text, (select count(*)::int from services.order_transition x where x.order_id = o.id and x.action = 'claim') as claims
         from services.service_order o where o.id = $1`, [id]);
    expect(rows[0]).toEqual({ provider_member_id: winners[0]!.data!.claimOrder.provider.member.id, claims: 1 });
  });

  it('50 parallel claims of a posted micro-wish: exactly one succeeds, 49 get CONFLICT', async () => {
    const members = await memberIds(t, 'huangshi', 50);
    // In-service members who reported in at the community (双报到): their tokens name it, so its board is theirs.
    const tokens = await Promise.all(members.map((id) => memberToken(t, 'huangshi', { id, unitId: t.unit('huangshi', COMMUNITY) })));
    const c = await ok<{ collectWish: { id: string } }>(t.url, community, 'mutation($i: CollectWishInput!) { collectWish(input: $i) { id } }',
      { i: { unitId: t.unit('huangshi', GROUP), title: '冬季棉被一床', residentName: '陈奶奶' } });
    const id = c.collectWish.id;
    await ok(t.url, community, 'mutation($id: ID!) { verifyWish(id: $id) { state } }', { id });
    await ok(t.url, community, 'mutation($id: ID!) { postWish(id: $id) { state } }', { id });
    const results = await Promise.all(tokens.map((tok) => gql(t.url, tok, 'mutation($id: ID!) { claimWish(id: $id) { state } }', { id })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.flatMap((r) => codes(r)).sort()).toEqual(Array(49).fill('CONFLICT'));
  });
});

describe('deadlines escalate up the tree (clock moved, not waited for)', () => {
  let id: string;
  /** The open overdue orders below a unit, straight from the table. */
  const overdueIn = async (unitKey: string) => (await t.db.query<{ id: string }>(
    `select id::text from services.service_order where tenant_id = $1 and overdue and state not in ('DONE', 'CLOSED', 'CANCELLED')
        and org_path <@ (select path from services.unit_path where unit_id = $2) order by id`, [tenantId, t.unit('huangshi', unitKey)])).rows.map((r) => r.id);
  const order = async () => (await ok<{ serviceOrder: { overdue: boolean; escalationLevel: number; escalatedTo: { id: string } | null; transitions: { action: string; note: string | null }[] } }>(t.url, admin,
    'query($id: ID!) { serviceOrder(id: $id) { overdue escalationLevel escalatedTo { id } transitions { action note } } }', { id })).serviceOrder;

  it('an order not accepted within its response time escalates to the community and counts as overdue', async () => {
    id = await submit(t, community, t.unit('huangshi', GROUP), medicine);
    const before = await statsOf(COMMUNITY);
    const overdueBefore = await overdueIn(COMMUNITY);
    clock.advanceHours(3);
    await ok(t.url, community, 'mutation { escalateOverdueOrders }');
    expect(await order()).toMatchObject({ overdue: false, escalationLevel: 0, escalatedTo: null });
    clock.advanceHours(2);
    const n = await ok<{ escalateOverdueOrders: number }>(t.url, community, 'mutation { escalateOverdueOrders }');
    expect(n.escalateOverdueOrders).toBeGreaterThanOrEqual(1);
    const o = await order();
    expect(o).toMatchObject({ overdue: true, escalationLevel: 1, escalatedTo: { id: t.unit('huangshi', COMMUNITY) } });
    expect(o.transitions.at(-1)!.action).toBe('escalate');
    expect(o.transitions.at(-1)!.note).toContain('response deadline');
    for (const key of [COMMUNITY, STREET, DISTRICT]) expect((await statsOf(key)).overdue).toBeGreaterThanOrEqual(1);
    // The demo orders are drawn per tenant (random id), so a seeded open order may miss a
    // deadline in the same five hours: the count rises by exactly the orders that became overdue.
    const overdueAfter = await overdueIn(COMMUNITY);
    expect(overdueAfter).toEqual(expect.arrayContaining([...overdueBefore, id]));
    expect(overdueBefore).not.toContain(id);
    expect((await statsOf(COMMUNITY)).overdue).toBe(before.overdue + overdueAfter.length - overdueBefore.length);
    // Running again changes nothing: the order is already at its level.
    expect((await ok<{ escalateOverdueOrders: number }>(t.url, community, 'mutation { escalateOverdueOrders }')).escalateOverdueOrders).toBe(0);
  });

  it('missing the completion deadline escalates to the street; finishing the work takes it out of the overdue count', async () => {
    clock.advanceHours(20);
    await ok(t.url, community, 'mutation { escalateOverdueOrders }');
    expect(await order()).toMatchObject({ overdue: true, escalationLevel: 2, escalatedTo: { id: t.unit('huangshi', STREET) } });
    const before = (await statsOf(COMMUNITY)).overdue;
    await ok(t.url, community, 'mutation($id: ID!) { triageOrder(id: $id) { state } }', { id });
    await ok(t.url, community, 'mutation($id: ID!) { postOrderForClaiming(id: $id) { state } }', { id });
    const [m] = await memberIds(t, 'huangshi', 1);
    await ok(t.url, community, 'mutation($id: ID!, $m: ID!) { claimOrder(id: $id, memberId: $m) { state } }', { id, m });
    await ok(t.url, community, 'mutation($id: ID!) { completeOrder(id: $id, hours: 1) { state } }', { id });
    expect((await order()).overdue).toBe(false);
    expect((await statsOf(COMMUNITY)).overdue).toBe(before - 1);
    const rated = await ok<{ rateOrder: { state: string } }>(t.url, community, 'mutation($id: ID!) { rateOrder(id: $id, rating: 3) { state } }', { id });
    expect(rated.rateOrder.state).toBe('CLOSED');
  });

  it('the timed job escalates overdue orders of every tenant as `system`', async () => {
    const haiyang = await t.token('haiyang', 'CITY_ADMIN');
    const grid = (await t.db.query<{ id: string }>(`select unit_id::text as id from services.unit_path where tenant_id = $1 and kind = 'GRID' order by path limit 1`, [t.tenants.haiyang!.id])).rows[0]!.id;
    const id = await submit(t, haiyang, grid, await categoryId(t, haiyang, 'HEALTH.CARE.MEDICINE'));
    clock.advanceHours(5);
    const services = t.stack.subgraphs.find((s) => s.name === 'services')!;
    expect(await escalateEverywhere(services.orm, clock.now)).toBeGreaterThanOrEqual(1);
    const o = await ok<{ serviceOrder: { escalationLevel: number; overdue: boolean; transitions: { action: string; actor: string }[] } }>(t.url, haiyang,
      'query($id: ID!) { serviceOrder(id: $id) { escalationLevel overdue transitions { action actor } } }', { id });
    expect(o.serviceOrder).toMatchObject({ escalationLevel: 1, overdue: true });
    expect(o.serviceOrder.transitions.at(-1)).toEqual({ action: 'escalate', actor: 'system' });
    expect(await escalateEverywhere(services.orm, clock.now)).toBe(0);
  });

  it('escalation needs the services:write permission', async () => {
    const member = await t.token('huangshi', 'MEMBER', { memberId: (await memberIds(t, 'huangshi', 1))[0] });
    expect(codes(await gql(t.url, member, 'mutation { escalateOverdueOrders }'))).toEqual(['FORBIDDEN']);
  });
});

describe('rollups', () => {
  it('subtree statistics equal a direct aggregate over the orders and wishes after every kind of transition', async () => {
    for (const key of [GROUP, COMMUNITY, STREET, DISTRICT, '中共黄石市委']) {
      expectSameStatistics(await statsOf(key), await directStatistics(t.db, tenantId, t.unit('huangshi', key)));
    }
    const s = await statsOf(COMMUNITY);
    expect(s.totalOrders).toBeGreaterThanOrEqual(2);
    expect(s.closureRate).not.toBeNull();
  });

  it('a grid moving to another community takes its orders along: both communities still equal a direct aggregate', async () => {
    const other = `${STREET}/南岳社区党总支`;
    const grid = t.unit('huangshi', GRID);
    const before = await statsOf(COMMUNITY);
    const { rows: moved } = await t.db.query<{ unit_id: string; parent_id: string; kind: string; name: string; status: string; path: string }>(
      `select unit_id::text, parent_id::text, kind, name, status, path::text from services.unit_path where tenant_id = $1 and path <@ (select path from services.unit_path where unit_id = $2) order by nlevel(path)`,
      [tenantId, grid]);
    const { rows: [target] } = await t.db.query<{ path: string }>('select path::text from services.unit_path where unit_id = $1', [t.unit('huangshi', other)]);
    const oldPrefix = moved[0]!.path.split('.').slice(0, -1).join('.');
    const client = new pg.Client({ connectionString: t.db.adminUrl });
    await client.connect();
    try {
      // What organisation publishes for a move: one event per unit of the moved subtree.
      for (const [i, u] of moved.entries()) {
        const payload = { id: u.unit_id, parentId: i === 0 ? t.unit('huangshi', other) : u.parent_id, kind: u.kind, name: u.name, status: u.status, path: target!.path + u.path.slice(oldPrefix.length) };
        expect(await applyUnitChanged(client, { tenantId, seq: 1_000_000 + i, type: 'org_unit.changed', payload })).toBe(true);
      }
    } finally {
      await client.end();
    }
    const after = await statsOf(COMMUNITY);
    expect(after.totalOrders).toBeLessThan(before.totalOrders);
    for (const key of [COMMUNITY, other, STREET, DISTRICT]) {
      expectSameStatistics(await statsOf(key), await directStatistics(t.db, tenantId, t.unit('huangshi', key)));
    }
  });
});
