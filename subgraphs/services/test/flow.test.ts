import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { COMMUNITY, GRID, GROUP, ORDER_FIELDS, categoryId, communityMembers, memberToken as tokenOf, movableClock, ok, submit } from './helpers.ts';

const clock = movableClock();
let t: TestStack;
let admin: string;
let community: string;
let medicine: string;
let members: string[];
let memberToken: (id: string) => Promise<string>;

beforeAll(async () => {
  t = await startTestStack({ clock: clock.now });
  admin = await t.token('huangshi', 'CITY_ADMIN');
  community = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: COMMUNITY });
  medicine = await categoryId(t, admin, 'HEALTH.CARE.MEDICINE');
  // Members of the community the orders come from: their tokens name their own unit, so its
  // claiming board is theirs. Members the demo data already made providers (ratings, hours,
  // open orders) are passed over: which members those are depends on the tenant's random id,
  // and the scores and hours below are those of a first order.
  const { rows: providers } = await t.db.query<{ id: string }>(
    'select distinct provider_member_id::text as id from services.service_order where tenant_id = $1 and provider_member_id is not null', [t.tenants.huangshi!.id]);
  const busy = new Set(providers.map((r) => r.id));
  const local = (await communityMembers(t, 'huangshi', COMMUNITY, 200)).filter((m) => !busy.has(m.id)).slice(0, 3);
  expect(local).toHaveLength(3);
  members = local.map((m) => m.id);
  memberToken = (id) => tokenOf(t, 'huangshi', local.find((m) => m.id === id)!);
});
afterAll(() => t.close());

type Order = { id: string; state: string; residentPhone: string; rating: number | null; hours: number | null; provider: { kind: string; member: { id: string } | null } | null; transitions: { from: string | null; to: string; action: string; actor: string; note: string | null }[] };

describe('the order flow 点单 → 派单 → 接单 → 评单', () => {
  let orderId: string;
  let resourceId: string;

  it('records a resident order with deadlines from its category and the phone masked', async () => {
    orderId = await submit(t, community, t.unit('huangshi', GROUP), medicine);
    const d = await ok<{ serviceOrder: Order & { responseDue: string; completionDue: string } }>(t.url, community,
      `query($id: ID!) { serviceOrder(id: $id) { ${ORDER_FIELDS} responseDue completionDue } }`, { id: orderId });
    expect(d.serviceOrder.state).toBe('SUBMITTED');
    expect(d.serviceOrder.residentPhone).toBe('139****5836');
    // 代购药品: accept within 4 hours, done within 24.
    expect(new Date(d.serviceOrder.responseDue).getTime() - clock.now().getTime()).toBe(4 * 3_600_000);
    expect(new Date(d.serviceOrder.completionDue).getTime() - clock.now().getTime()).toBe(24 * 3_600_000);
  });

  it('ranks providers nearest first and explains each score by component', async () => {
    await ok(t.url, community, 'mutation($id: ID!) { triageOrder(id: $id) { state } }', { id: orderId });
    const reg = async (memberId: string, unitKey: string, name: string) => (await ok<{ registerResource: { id: string } }>(t.url, admin,
      `mutation($i: RegisterResourceInput!) { registerResource(input: $i) { id } }`,
      { i: { providerKind: 'MEMBER', memberId, providerName: name, unitId: t.unit('huangshi', unitKey), servesUnitId: t.unit('huangshi', unitKey.split('/').slice(0, 3).join('/')), categoryIds: [await categoryId(t, admin, 'HEALTH.CARE')] } })).registerResource.id;
    resourceId = await reg(members[0]!, GRID, '网格志愿者');
    await reg(members[1]!, COMMUNITY, '社区志愿者');
    const d = await ok<{ rankProviders: { score: number; proximity: number; load: number; satisfaction: number; availability: number; resource: { id: string; providerName: string } }[] }>(t.url, community,
      'query($id: ID!) { rankProviders(orderId: $id) { score proximity load satisfaction availability resource { id providerName } } }', { id: orderId });
    expect(d.rankProviders.map((c) => c.resource.providerName)).toEqual(['网格志愿者', '社区志愿者']);
    expect(d.rankProviders[0]).toMatchObject({ proximity: 30, load: 20, satisfaction: 12, availability: 20, score: 82 });
    expect(d.rankProviders[1]).toMatchObject({ proximity: 20 });
  });

  it('a provider declines with a reason, which returns the order to dispatch; automatic dispatch picks the top candidate', async () => {
    await ok(t.url, community, 'mutation($id: ID!, $r: ID!) { dispatchOrder(id: $id, resourceId: $r) { state } }', { id: orderId, r: resourceId });
    // Another member does not see an order dispatched to someone else: it does not exist for them.
    const other = await gql(t.url, await memberToken(members[1]!), 'mutation($id: ID!) { acceptOrder(id: $id) { state } }', { id: orderId });
    expect(codes(other)).toEqual(['NOT_FOUND']);
    const mine = await memberToken(members[0]!);
    const declined = await ok<{ declineOrder: Order }>(t.url, mine, `mutation($id: ID!) { declineOrder(id: $id, reason: "今天在外地出差") { ${ORDER_FIELDS} } }`, { id: orderId });
    expect(declined.declineOrder.state).toBe('TRIAGED');
    expect(declined.declineOrder.provider).toBeNull();
    expect(declined.declineOrder.transitions.at(-1)).toMatchObject({ from: 'DISPATCHED', to: 'TRIAGED', action: 'decline', note: '今天在外地出差', actor: `member-${members[0]}` });
    const auto = await ok<{ dispatchAutomatically: Order }>(t.url, community, `mutation($id: ID!) { dispatchAutomatically(id: $id) { ${ORDER_FIELDS} } }`, { id: orderId });
    expect(auto.dispatchAutomatically.state).toBe('DISPATCHED');
    expect(auto.dispatchAutomatically.provider!.member!.id).toBe(members[0]);
  });

  it('accepted, worked on, done and rated: closing publishes service.completed and adds volunteer hours', async () => {
    const mine = await memberToken(members[0]!);
    await ok(t.url, mine, 'mutation($id: ID!) { acceptOrder(id: $id) { state } }', { id: orderId });
    await ok(t.url, mine, 'mutation($id: ID!) { startOrder(id: $id) { state } }', { id: orderId });
    clock.advanceHours(3);
    await ok(t.url, mine, 'mutation($id: ID!) { completeOrder(id: $id, hours: 2.5) { state } }', { id: orderId });
    const rated = await ok<{ rateOrder: Order }>(t.url, community, `mutation($id: ID!) { rateOrder(id: $id, rating: 5, comment: "非常及时") { ${ORDER_FIELDS} } }`, { id: orderId });
    expect(rated.rateOrder.state).toBe('CLOSED');
    expect(rated.rateOrder.transitions.map((x) => `${x.from ?? '-'}>${x.to}`)).toEqual([
      '->SUBMITTED', 'SUBMITTED>TRIAGED', 'TRIAGED>DISPATCHED', 'DISPATCHED>TRIAGED', 'TRIAGED>DISPATCHED', 'DISPATCHED>ACCEPTED', 'ACCEPTED>IN_PROGRESS', 'IN_PROGRESS>DONE', 'DONE>CLOSED']);
    const { rows } = await t.db.query<{ payload: Record<string, unknown> }>(`select payload from events.stream where topic = 'services' and type = 'service.completed' and payload->>'orderId' = $1`, [orderId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload).toEqual({ orderId, memberId: members[0], stationedUnitId: null, unitId: t.unit('huangshi', GROUP), hours: 2.5, rating: 5, completedAt: clock.now().toISOString() });
  });

  it('a member sees their own volunteer hours and service history through the gateway', async () => {
    const mine = await memberToken(members[0]!);
    const d = await ok<{ member: { name: string; volunteerHours: number; serviceHistory: { edges: { node: { id: string; state: string } }[] } } }>(t.url, mine,
      'query($id: ID!) { member(id: $id) { name volunteerHours serviceHistory(first: 5) { edges { node { id state } } } } }', { id: members[0] });
    expect(d.member.volunteerHours).toBe(2.5);
    expect(d.member.serviceHistory.edges.map((e) => e.node)).toContainEqual({ id: orderId, state: 'CLOSED' });
  });

  it('ranking reflects a provider’s current load and past ratings, also from orders outside the asking community', async () => {
    const rank = async (id: string) => (await ok<{ rankProviders: { openOrders: number; load: number; satisfaction: number; resource: { id: string } }[] }>(t.url, community,
      'query($id: ID!) { rankProviders(orderId: $id) { openOrders load satisfaction resource { id } } }', { id })).rankProviders.find((c) => c.resource.id === resourceId)!;
    const here = await submit(t, community, t.unit('huangshi', GROUP), medicine);
    // Rated 5 once: satisfaction 5 × 4.
    expect(await rank(here)).toMatchObject({ openOrders: 0, load: 20, satisfaction: 20 });
    // An order elsewhere in the city, dispatched to the same member by the city administrator.
    const elsewhere = await submit(t, admin, t.unit('huangshi', '中共黄石市委/黄石港区/红旗桥街道/林红社区党支部'), medicine);
    await ok(t.url, admin, 'mutation($id: ID!) { triageOrder(id: $id) { state } }', { id: elsewhere });
    await ok(t.url, admin, 'mutation($id: ID!, $r: ID!) { dispatchOrder(id: $id, resourceId: $r) { state } }', { id: elsewhere, r: resourceId });
    expect(await rank(here)).toMatchObject({ openOrders: 1, load: 13.33 });
  });
});

describe('illegal transitions are refused, never silently ignored', () => {
  it('rating an order that is not done, or cancelling an accepted one, is a CONFLICT', async () => {
    const id = await submit(t, community, t.unit('huangshi', GROUP), medicine);
    expect(codes(await gql(t.url, community, 'mutation($id: ID!) { rateOrder(id: $id, rating: 5) { state } }', { id }))).toEqual(['CONFLICT']);
    await ok(t.url, community, 'mutation($id: ID!) { triageOrder(id: $id) { state } }', { id });
    await ok(t.url, community, 'mutation($id: ID!) { postOrderForClaiming(id: $id) { state } }', { id });
    await ok(t.url, await memberToken(members[2]!), 'mutation($id: ID!) { claimOrder(id: $id) { state } }', { id });
    const cancel = await gql(t.url, community, 'mutation($id: ID!) { cancelOrder(id: $id) { state } }', { id });
    expect(codes(cancel)).toEqual(['CONFLICT']);
    expect(cancel.errors![0]!.message).toContain('ACCEPTED');
  });

  it('an unsatisfied rating can reopen the order; a satisfied one cannot', async () => {
    const id = await submit(t, community, t.unit('huangshi', GROUP), medicine);
    await ok(t.url, community, 'mutation($id: ID!) { triageOrder(id: $id) { state } }', { id });
    await ok(t.url, community, 'mutation($id: ID!) { postOrderForClaiming(id: $id) { state } }', { id });
    const mine = await memberToken(members[2]!);
    await ok(t.url, mine, 'mutation($id: ID!) { claimOrder(id: $id) { state } }', { id });
    await ok(t.url, mine, 'mutation($id: ID!) { completeOrder(id: $id, hours: 1) { state } }', { id });
    expect(codes(await gql(t.url, community, 'mutation($id: ID!) { rateOrder(id: $id, rating: 4, reopen: true) { state } }', { id }))).toEqual(['BAD_USER_INPUT']);
    const reopened = await ok<{ rateOrder: Order }>(t.url, community, `mutation($id: ID!) { rateOrder(id: $id, rating: 1, comment: "药买错了", reopen: true) { ${ORDER_FIELDS} } }`, { id });
    expect(reopened.rateOrder.state).toBe('IN_PROGRESS');
    expect(reopened.rateOrder.rating).toBeNull();
    expect(reopened.rateOrder.transitions.at(-1)).toMatchObject({ from: 'DONE', to: 'IN_PROGRESS', action: 'reopen' });
  });

  it('a submitter cancels before acceptance', async () => {
    const id = await submit(t, community, t.unit('huangshi', GROUP), medicine);
    const d = await ok<{ cancelOrder: { state: string } }>(t.url, community, 'mutation($id: ID!) { cancelOrder(id: $id, reason: "已自行解决") { state } }', { id });
    expect(d.cancelOrder.state).toBe('CANCELLED');
  });
});

describe('scope', () => {
  it('a community administrator cannot see or submit orders in another community', async () => {
    const elsewhere = await submit(t, admin, t.unit('huangshi', '中共黄石市委/黄石港区/红旗桥街道/林红社区党支部'), medicine);
    expect(codes(await gql(t.url, community, 'query($id: ID!) { serviceOrder(id: $id) { id } }', { id: elsewhere }))).toEqual(['NOT_FOUND']);
    const r = await gql(t.url, community, `mutation($i: SubmitOrderInput!) { submitOrder(input: $i) { id } }`,
      { i: { unitId: t.unit('huangshi', '中共黄石市委/黄石港区/红旗桥街道/林红社区党支部'), categoryId: medicine, title: 'x', residentName: 'y', channel: 'RESIDENT' } });
    expect(codes(r)).toEqual(['NOT_FOUND']);
    const other = await t.token('haiyang', 'CITY_ADMIN');
    expect(codes(await gql(t.url, other, 'query($id: ID!) { serviceOrder(id: $id) { id } }', { id: elsewhere }))).toEqual(['NOT_FOUND']);
  });
});

describe('micro-wishes 微心愿', () => {
  it('collected → verified → posted → claimed → withdrawn (posted again) → claimed → fulfilled → confirmed → archived', async () => {
    const before = await ok<{ orgUnit: { serviceStatistics: { wishesFulfilled: number } } }>(t.url, community, 'query($id: ID!) { orgUnit(id: $id) { serviceStatistics { wishesFulfilled } } }', { id: t.unit('huangshi', COMMUNITY) });
    const c = await ok<{ collectWish: { id: string; state: string } }>(t.url, community,
      'mutation($i: CollectWishInput!) { collectWish(input: $i) { id state } }', { i: { unitId: t.unit('huangshi', GRID), title: '一台助听器', residentName: '李大爷' } });
    const id = c.collectWish.id;
    const step = async (m: string, token = community, extra = '') => (await ok<Record<string, { state: string }>>(t.url, token, `mutation($id: ID!) { ${m}(id: $id${extra}) { state } }`, { id }))[m]!.state;
    expect(codes(await gql(t.url, community, 'mutation($id: ID!) { postWish(id: $id) { state } }', { id }))).toEqual(['CONFLICT']);
    expect(await step('verifyWish')).toBe('VERIFIED');
    expect(await step('postWish')).toBe('POSTED');
    const first = await memberToken(members[1]!);
    expect(await step('claimWish', first)).toBe('CLAIMED');
    expect(await step('withdrawWishClaim', first, ', reason: "临时有事"')).toBe('POSTED');
    const second = await memberToken(members[2]!);
    expect(await step('claimWish', second)).toBe('CLAIMED');
    expect(codes(await gql(t.url, first, 'mutation($id: ID!) { fulfilWish(id: $id) { state } }', { id }))).toEqual(['FORBIDDEN']);
    expect(await step('fulfilWish', second)).toBe('FULFILLED');
    expect(await step('confirmWish')).toBe('CONFIRMED');
    expect(await step('archiveWish')).toBe('ARCHIVED');
    const w = await ok<{ microWish: { claimedBy: { id: string }; transitions: { from: string | null; to: string; actor: string }[] } }>(t.url, community,
      'query($id: ID!) { microWish(id: $id) { claimedBy { id } transitions { from to actor } } }', { id });
    expect(w.microWish.claimedBy.id).toBe(members[2]);
    expect(w.microWish.transitions.map((x) => x.to)).toEqual(['COLLECTED', 'VERIFIED', 'POSTED', 'CLAIMED', 'POSTED', 'CLAIMED', 'FULFILLED', 'CONFIRMED', 'ARCHIVED']);
    const after = await ok<{ orgUnit: { serviceStatistics: { wishesFulfilled: number } } }>(t.url, community, 'query($id: ID!) { orgUnit(id: $id) { serviceStatistics { wishesFulfilled } } }', { id: t.unit('huangshi', COMMUNITY) });
    expect(after.orgUnit.serviceStatistics.wishesFulfilled).toBe(before.orgUnit.serviceStatistics.wishesFulfilled + 1);
  });
});

describe('the resource, project and catalogue lists', () => {
  it('a stationed unit offers a service to a community; the offer is listed for units below it and ranked for their orders', async () => {
    const { rows: [su] } = await t.db.query<{ id: string; name: string }>(`select id::text, name from organisation.stationed_unit where tenant_id = $1 and name = '黄石市中心医院'`, [t.tenants.huangshi!.id]);
    const health = await categoryId(t, admin, 'HEALTH');
    const r = await ok<{ registerResource: { id: string; providerKind: string; stationedUnit: { id: string }; categories: { code: string }[]; serves: { id: string } } }>(t.url, community,
      `mutation($i: RegisterResourceInput!) { registerResource(input: $i) { id providerKind stationedUnit { id } categories { code } serves { id } } }`,
      { i: { providerKind: 'STATIONED_UNIT', stationedUnitId: su!.id, providerName: su!.name, unitId: t.unit('huangshi', COMMUNITY), categoryIds: [health], capacity: 10, weekdays: [1, 2, 3, 4, 5], fromHour: 8, toHour: 17 } });
    expect(r.registerResource).toMatchObject({ providerKind: 'STATIONED_UNIT', stationedUnit: { id: su!.id }, categories: [{ code: 'HEALTH' }], serves: { id: t.unit('huangshi', COMMUNITY) } });
    const listed = await ok<{ resources: { id: string }[] }>(t.url, community, 'query($u: ID!) { resources(unitId: $u) { id } }', { u: t.unit('huangshi', GROUP) });
    expect(listed.resources.map((x) => x.id)).toContain(r.registerResource.id);
    const id = await submit(t, community, t.unit('huangshi', GROUP), medicine, '上门问诊');
    const ranked = await ok<{ rankProviders: { resource: { id: string }; proximity: number }[] }>(t.url, community, 'query($id: ID!) { rankProviders(orderId: $id, first: 20) { resource { id } proximity } }', { id });
    expect(ranked.rankProviders.find((c) => c.resource.id === r.registerResource.id)).toMatchObject({ proximity: 20 });
    const bad = await gql(t.url, community, `mutation($i: RegisterResourceInput!) { registerResource(input: $i) { id } }`,
      { i: { providerKind: 'STATIONED_UNIT', memberId: members[0], providerName: 'x', unitId: t.unit('huangshi', COMMUNITY), categoryIds: [health] } });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });

  it('co-building projects: lead unit, supporting units, owner and deadline; they only move forward', async () => {
    const p = await ok<{ createProject: { id: string; state: string; leadUnit: { id: string }; supportingUnits: { id: string }[]; deadline: string } }>(t.url, admin,
      'mutation($i: ProjectInput!) { createProject(input: $i) { id state leadUnit { id } supportingUnits { id } deadline } }',
      { i: { name: '老旧小区加装电梯', leadUnitId: t.unit('huangshi', COMMUNITY), supportingUnitIds: [t.unit('huangshi', GRID)], ownerName: '刘书记', deadline: '2026-12-31' } });
    expect(p.createProject).toMatchObject({ state: 'OPEN', leadUnit: { id: t.unit('huangshi', COMMUNITY) }, supportingUnits: [{ id: t.unit('huangshi', GRID) }], deadline: '2026-12-31' });
    const listed = await ok<{ projects: { id: string }[] }>(t.url, community, 'query($u: ID!) { projects(unitId: $u) { id } }', { u: t.unit('huangshi', COMMUNITY) });
    expect(listed.projects.map((x) => x.id)).toEqual([p.createProject.id]);
    await ok(t.url, community, 'mutation($id: ID!) { setProjectState(id: $id, state: IN_PROGRESS) { state } }', { id: p.createProject.id });
    await ok(t.url, community, 'mutation($id: ID!) { setProjectState(id: $id, state: DONE) { state } }', { id: p.createProject.id });
    expect(codes(await gql(t.url, community, 'mutation($id: ID!) { setProjectState(id: $id, state: OPEN) { state } }', { id: p.createProject.id }))).toEqual(['BAD_USER_INPUT']);
  });

  it('the catalogue has the default 10 / 18 / 30 structure and takes new entries with inherited deadlines', async () => {
    const d = await ok<{ serviceCatalogue: { id: string; level: number; code: string }[] }>(t.url, admin, '{ serviceCatalogue { id level code } }');
    expect([1, 2, 3].map((l) => d.serviceCatalogue.filter((c) => c.level === l).length)).toEqual([10, 18, 30]);
    const sub = d.serviceCatalogue.find((c) => c.code === 'HEALTH.CARE')!;
    const c = await ok<{ createServiceCategory: { level: number; responseHours: number; completionHours: number } }>(t.url, admin,
      'mutation($p: ID!) { createServiceCategory(input: { parentId: $p, code: "health.care.rehab", name: "康复护理" }) { level responseHours completionHours } }', { p: sub.id });
    expect(c.createServiceCategory).toEqual({ level: 3, responseHours: 4, completionHours: 48 });
    const item = d.serviceCatalogue.find((x) => x.code === 'HEALTH.CARE.VISIT')!;
    expect(codes(await gql(t.url, admin, 'mutation($p: ID!) { createServiceCategory(input: { parentId: $p, code: "X", name: "x" }) { id } }', { p: item.id }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(t.url, admin, 'mutation { createServiceCategory(input: { code: "HEALTH", name: "重复" }) { id } }'))).toEqual(['CONFLICT']);
  });
});
