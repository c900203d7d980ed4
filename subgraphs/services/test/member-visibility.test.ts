import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { sessionVariables, type Principal } from '@trellis/platform';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { COMMUNITY, GRID, GROUP, categoryId, communityMembers, memberToken, movableClock, ok, submit } from './helpers.ts';

const OTHER_COMMUNITY = '中共黄石市委/黄石港区/红旗桥街道/林红社区党支部';

const clock = movableClock();
let t: TestStack;
let admin: string;
let communityAdmin: string;
let otherAdmin: string;
let medicine: string;
let a: { id: string; unitId: string };
let b: { id: string; unitId: string };
let c: { id: string; unitId: string };
let tokenA: string;
let tokenB: string;
let tokenC: string;
let tokenNoUnit: string;

beforeAll(async () => {
  t = await startTestStack({ clock: clock.now });
  admin = await t.token('huangshi', 'CITY_ADMIN');
  communityAdmin = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: COMMUNITY });
  otherAdmin = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: OTHER_COMMUNITY });
  medicine = await categoryId(t, admin, 'HEALTH.CARE.MEDICINE');
  // Two members of the community's own branch: their tokens name the community, so they may
  // also ask for its order list (the organisation subgraph shows a member their unit's subtree).
  [a, b] = (await communityMembers(t, 'huangshi', COMMUNITY, 100)).filter((m) => m.unitId === t.unit('huangshi', COMMUNITY)) as [typeof a, typeof b];
  expect(b).toBeDefined();
  [c] = await communityMembers(t, 'huangshi', OTHER_COMMUNITY, 1) as [typeof c];
  tokenA = await memberToken(t, 'huangshi', a);
  tokenB = await memberToken(t, 'huangshi', b);
  tokenC = await memberToken(t, 'huangshi', c);
  tokenNoUnit = await memberToken(t, 'huangshi', { id: b.id });
});
afterAll(() => t.close());

type Seen = { id: string; state: string; residentName: string; residentPhone: string | null };
const ORDER = 'query($id: ID!) { serviceOrder(id: $id) { id state residentName residentPhone } }';
const WISH = 'query($id: ID!) { microWish(id: $id) { id state residentName residentPhone } }';
const seen = async (token: string, id: string) => (await ok<{ serviceOrder: Seen }>(t.url, token, ORDER, { id })).serviceOrder;
const seenWish = async (token: string, id: string) => (await ok<{ microWish: Seen }>(t.url, token, WISH, { id })).microWish;
const hidden = async (token: string, id: string, query = ORDER) => expect(codes(await gql(t.url, token, query, { id }))).toEqual(['NOT_FOUND']);
const step = (token: string, mutation: string, id: string, extra = '') =>
  ok<Record<string, { state: string; residentName: string; residentPhone: string | null }>>(t.url, token,
    `mutation($id: ID!) { ${mutation}(id: $id${extra}) { state residentName residentPhone } }`, { id }).then((d) => d[mutation]!);
const posted = async () => {
  const id = await submit(t, communityAdmin, t.unit('huangshi', GROUP), medicine);
  await step(communityAdmin, 'triageOrder', id);
  await step(communityAdmin, 'postOrderForClaiming', id);
  return id;
};
/** Orders a member gets in a unit's list (newest first). */
const listed = async (token: string, unitKey: string) => (await ok<{ orgUnit: { serviceOrders: { edges: { node: { id: string } }[] } } }>(t.url, token,
  'query($u: ID!) { orgUnit(id: $u) { serviceOrders(first: 100) { edges { node { id } } } } }', { u: t.unit('huangshi', unitKey) })).orgUnit.serviceOrders.edges.map((e) => e.node.id);

describe('a member sees only the orders they take part in; administrators keep their scope', () => {
  it('an order a member has nothing to do with does not exist for them, in lists or by id', async () => {
    const id = await submit(t, communityAdmin, t.unit('huangshi', GROUP), medicine);
    await hidden(tokenA, id);
    expect(await listed(tokenA, COMMUNITY)).not.toContain(id);
    // Administrators: their subtree, with the resident's name and the masked phone.
    expect(await seen(communityAdmin, id)).toMatchObject({ residentName: '王阿姨', residentPhone: '139****5836' });
    expect(await seen(admin, id)).toMatchObject({ residentName: '王阿姨' });
    await hidden(otherAdmin, id);
  });

  it("the community's claiming board: posted orders without the resident's contact data until someone takes one", async () => {
    const id = await posted();
    expect(await seen(tokenA, id)).toEqual({ id, state: 'POSTED', residentName: '王**', residentPhone: null });
    expect(await seen(tokenB, id)).toEqual({ id, state: 'POSTED', residentName: '王**', residentPhone: null });
    expect(await listed(tokenA, COMMUNITY)).toContain(id);
    // Another community's member, and a member whose token names no unit, have no such board.
    await hidden(tokenC, id);
    await hidden(tokenNoUnit, id);

    const claimed = await step(tokenA, 'claimOrder', id);
    expect(claimed).toEqual({ state: 'ACCEPTED', residentName: '王阿姨', residentPhone: '139****5836' });
    // Taken: still on the board for the others, without contact data; a late claim is told why.
    expect(await seen(tokenB, id)).toEqual({ id, state: 'ACCEPTED', residentName: '王**', residentPhone: null });
    const late = await gql(t.url, tokenB, 'mutation($id: ID!) { claimOrder(id: $id) { state } }', { id });
    expect(codes(late)).toEqual(['CONFLICT']);
    expect(late.errors![0]!.message).toContain('already claimed');

    expect(await step(tokenA, 'completeOrder', id, ', hours: 1.5')).toMatchObject({ state: 'DONE', residentName: '王阿姨' });
    // Done: off the board.
    await hidden(tokenB, id);
    await step(communityAdmin, 'rateOrder', id, ', rating: 5');
    // Closed: the member keeps the record of their service, no longer the resident's contact data.
    expect(await seen(tokenA, id)).toEqual({ id, state: 'CLOSED', residentName: '王**', residentPhone: null });
    const history = await ok<{ member: { serviceHistory: { edges: { node: { id: string } }[] } } }>(t.url, tokenA,
      'query($m: ID!) { member(id: $m) { serviceHistory(first: 50) { edges { node { id } } } } }', { m: a.id });
    expect(history.member.serviceHistory.edges.map((e) => e.node.id)).toContain(id);
  });

  it('an order assigned to a member: seen from dispatch, with contact data once accepted; a decline reaches them, then the order is gone', async () => {
    const offer = (await ok<{ registerResource: { id: string } }>(t.url, communityAdmin,
      'mutation($i: RegisterResourceInput!) { registerResource(input: $i) { id } }',
      { i: { providerKind: 'MEMBER', memberId: a.id, providerName: '网格志愿者', unitId: t.unit('huangshi', GRID), categoryIds: [medicine] } })).registerResource.id;
    const dispatched = async () => {
      const id = await submit(t, communityAdmin, t.unit('huangshi', GROUP), medicine);
      await step(communityAdmin, 'triageOrder', id);
      await ok(t.url, communityAdmin, 'mutation($id: ID!, $r: ID!) { dispatchOrder(id: $id, resourceId: $r) { state } }', { id, r: offer });
      return id;
    };
    const taken = await dispatched();
    expect(await seen(tokenA, taken)).toEqual({ id: taken, state: 'DISPATCHED', residentName: '王**', residentPhone: null });
    await hidden(tokenB, taken);
    expect(await step(tokenA, 'acceptOrder', taken)).toEqual({ state: 'ACCEPTED', residentName: '王阿姨', residentPhone: '139****5836' });

    const declined = await dispatched();
    expect(await step(tokenA, 'declineOrder', declined, ', reason: "不在本地"')).toMatchObject({ state: 'TRIAGED', residentName: '王**' });
    expect(await seen(tokenA, declined)).toMatchObject({ state: 'TRIAGED' });
    await step(communityAdmin, 'cancelOrder', declined);
    await hidden(tokenA, declined);
  });
});

describe('micro-wishes: the same rules', () => {
  it('posted wishes are on the board without contact data; the claimant gets it while they hold the wish', async () => {
    const c1 = await ok<{ collectWish: { id: string } }>(t.url, communityAdmin, 'mutation($i: CollectWishInput!) { collectWish(input: $i) { id } }',
      { i: { unitId: t.unit('huangshi', GRID), title: '一台助听器', residentName: '李大爷', residentPhone: '13800001234' } });
    const id = c1.collectWish.id;
    await hidden(tokenA, id, WISH);
    await step(communityAdmin, 'verifyWish', id);
    await step(communityAdmin, 'postWish', id);
    expect(await seenWish(tokenA, id)).toEqual({ id, state: 'POSTED', residentName: '李**', residentPhone: null });
    await hidden(tokenC, id, WISH);
    const list = await ok<{ microWishes: { id: string }[] }>(t.url, tokenA, 'query($u: ID!) { microWishes(unitId: $u) { id } }', { u: t.unit('huangshi', COMMUNITY) });
    expect(list.microWishes.map((w) => w.id)).toContain(id);

    expect(await step(tokenA, 'claimWish', id)).toEqual({ state: 'CLAIMED', residentName: '李大爷', residentPhone: '138****1234' });
    expect(await seenWish(tokenB, id)).toEqual({ id, state: 'CLAIMED', residentName: '李**', residentPhone: null });
    expect(await step(tokenA, 'withdrawWishClaim', id)).toEqual({ state: 'POSTED', residentName: '李**', residentPhone: null });
    expect(await step(tokenB, 'claimWish', id)).toMatchObject({ state: 'CLAIMED', residentName: '李大爷' });
    expect(await step(tokenB, 'fulfilWish', id)).toMatchObject({ state: 'FULFILLED', residentName: '李大爷' });
    // Fulfilled: off the board; the collector (an administrator) still sees everything.
    await hidden(tokenA, id, WISH);
    expect(await seenWish(communityAdmin, id)).toMatchObject({ residentName: '李大爷', residentPhone: '138****1234' });
  });
});

describe('the database enforces it: tried as the services role with a member session', () => {
  async function asMember<T>(p: Partial<Principal>, work: (db: pg.Client) => Promise<T>): Promise<T> {
    const db = new pg.Client({ connectionString: t.db.appUrl('services') });
    await db.connect();
    try {
      const vars = sessionVariables({ sub: `member-${a.id}`, tenantId: t.tenants.huangshi!.id, tenantSlug: 'huangshi', role: 'MEMBER', memberId: a.id, scopeUnitId: a.unitId, scopes: [], ...p });
      for (const [k, v] of Object.entries(vars)) await db.query('select set_config($1, $2, false)', [k, v]);
      return await work(db);
    } finally {
      await db.end();
    }
  }

  it("the resident's contact columns cannot be read from the tables, only through the views that mask them", async () => {
    await asMember({}, async (db) => {
      await expect(db.query('select resident_name from services.service_order limit 1')).rejects.toThrow(/permission denied/);
      await expect(db.query('select resident_phone from services.micro_wish limit 1')).rejects.toThrow(/permission denied/);
      await expect(db.query('select * from services.service_order limit 1')).rejects.toThrow(/permission denied/);
    });
  });

  it('rows the member takes no part in are invisible and cannot be changed', async () => {
    const foreign = await submit(t, communityAdmin, t.unit('huangshi', GROUP), medicine);
    const board = await posted();
    const { rows: [all] } = await t.db.query<{ n: number }>('select count(*)::int as n from services.service_order where tenant_id = $1', [t.tenants.huangshi!.id]);
    await asMember({}, async (db) => {
      const visible = (await db.query<{ id: string; resident_name: string }>('select id::text, resident_name from services.service_order_view')).rows;
      expect(visible.length).toBeLessThan(all!.n);
      expect(visible.map((r) => r.id)).not.toContain(foreign);
      expect(visible.find((r) => r.id === board)).toEqual({ id: board, resident_name: '王**' });
      // Invisible rows are not there to update; a board order cannot be taken off the board.
      expect((await db.query(`update services.service_order set provider_member_id = $1 where id = $2`, [a.id, foreign])).rowCount).toBe(0);
      await expect(db.query(`update services.service_order set state = 'CANCELLED' where id = $1`, [board])).rejects.toThrow(/row-level security/);
    });
    // Without a unit in the token there is no board.
    await asMember({ scopeUnitId: undefined }, async (db) => {
      expect((await db.query(`select count(*)::int as n from services.service_order_view where state = 'POSTED'`)).rows[0].n).toBe(0);
    });
    // An administrator's session is unchanged: the scope decides.
    await asMember({ role: 'COMMUNITY_ADMIN', memberId: undefined, scopeUnitId: t.unit('huangshi', COMMUNITY) }, async (db) => {
      const { rows } = await db.query<{ resident_name: string }>('select resident_name from services.service_order_view where id = $1', [foreign]);
      expect(rows).toEqual([{ resident_name: '王阿姨' }]);
    });
  });
});
