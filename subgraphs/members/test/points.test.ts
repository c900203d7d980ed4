import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { NOW, createMember, idCard } from './helpers.ts';

let t: TestStack;
let city: string;
let member: string;
let retired: string;
const GRID = '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委';

const POINTS = 'points { year balance exempt events { kind rule points requested occurredOn source recordedBy } }';
const record = (id: string, input: Record<string, unknown>) =>
  gql<{ recordPointEvent: { points: number; requested: number } }>(t.url, city, 'mutation($id: ID!, $i: PointEventInput!) { recordPointEvent(memberId: $id, input: $i) { points requested } }', { id, i: input });
const points = async (id: string) => {
  const r = await gql<{ member: { points: { balance: number; exempt: boolean; events: { kind: string; rule: string; points: number; source: string | null; recordedBy: string }[] } } }>(t.url, city, `query($id: ID!) { member(id: $id) { ${POINTS} } }`, { id });
  expect(r.errors).toBeUndefined();
  return r.data!.member.points;
};

/** Publishes on the services topic as the services subgraph's role would. */
async function publishService(payload: Record<string, unknown>) {
  const c = new pg.Client({ connectionString: t.db.appUrl('services') });
  await c.connect();
  try {
    await c.query('begin');
    await c.query(`select set_config('app.tenant_id', $1, true)`, [t.tenants.huangshi!.id]);
    await c.query(`select events.publish('service.completed', $1::jsonb)`, [JSON.stringify(payload)]);
    await c.query('commit');
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
  const m = await createMember(t.url, city, { orgUnitId: t.unit('huangshi', GRID), name: '积分党员', idCardNumber: idCard('1985-04-04', 301), education: 'BACHELOR', stage: 'FULL', joinedOn: '2010-07-01', stageSince: '2011-07-01', categories: ['IN_SERVICE'] });
  expect(m.errors).toBeUndefined();
  member = m.data!.createMember.id;
  const r = await createMember(t.url, city, { orgUnitId: t.unit('huangshi', GRID), name: '退休党员', idCardNumber: idCard('1950-04-04', 303), education: 'BACHELOR', stage: 'FULL', joinedOn: '1975-07-01', stageSince: '1976-07-01', categories: ['RETIRED'] });
  retired = r.data!.createMember.id;
});
afterAll(() => t.close());

describe('points (积分)', () => {
  it('starts the year with the baseline; the balance is the sum of the events', async () => {
    expect((await points(member)).balance).toBe(0);
    const r = await record(member, { rule: 'MEETING', points: 2, occurredOn: '2026-03-01' });
    expect(r.errors).toBeUndefined();
    const p = await points(member);
    expect(p.events.map((e) => [e.rule, e.points])).toEqual([['BASELINE', 70], ['MEETING', 2]]);
    expect(p.balance).toBe(72);
    expect((await record(member, { rule: 'DISCIPLINE', points: -10, occurredOn: '2026-04-01', note: '无故缺席组织生活' })).errors).toBeUndefined();
    expect((await points(member)).balance).toBe(62);
  });

  it('clips a capped rule to what the year still allows, then refuses', async () => {
    expect((await record(member, { rule: 'STUDY', points: 5, occurredOn: '2026-03-02' })).data!.recordPointEvent.points).toBe(5);
    expect((await record(member, { rule: 'STUDY', points: 4, occurredOn: '2026-03-03' })).data!.recordPointEvent.points).toBe(4);
    const clipped = await record(member, { rule: 'STUDY', points: 5, occurredOn: '2026-03-04' });
    expect(clipped.data!.recordPointEvent).toEqual({ points: 1, requested: 5 });
    expect(codes(await record(member, { rule: 'STUDY', points: 1, occurredOn: '2026-03-05' }))).toEqual(['CONFLICT']);
    expect((await points(member)).balance).toBe(72);
  });

  it('refuses unknown rules, wrong signs and ranges, the baseline, future dates and exempt members', async () => {
    expect(codes(await record(member, { rule: 'NOPE', points: 1, occurredOn: '2026-03-01' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(member, { rule: 'DISCIPLINE', points: 10, occurredOn: '2026-03-01' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(member, { rule: 'HONOUR', points: 50, occurredOn: '2026-03-01' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(member, { rule: 'BASELINE', points: 70, occurredOn: '2026-03-01' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(member, { rule: 'HONOUR', points: 5, occurredOn: '2026-12-01' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(retired, { rule: 'HONOUR', points: 5, occurredOn: '2026-03-01' }))).toEqual(['CONFLICT']);
    expect((await points(retired)).exempt).toBe(true);
  });

  it('resets every year: last year’s events do not count this year', async () => {
    expect((await record(member, { rule: 'HONOUR', points: 10, occurredOn: '2025-11-01' })).errors).toBeUndefined();
    const r = await gql<{ member: { points: { balance: number } } }>(t.url, city, 'query($id: ID!) { member(id: $id) { points(year: 2025) { balance } } }', { id: member });
    expect(r.data!.member.points.balance).toBe(80);
    expect((await points(member)).balance).toBe(72);
  });

  it('a well-rated completed service earns a volunteer bonus once per order', async () => {
    const before = (await points(member)).balance;
    const order = '0b7c1a52-2d55-4c6e-9d3a-5a4c3f2e1d00';
    await publishService({ orderId: order, memberId: member, stationedUnitId: null, unitId: t.unit('huangshi', GRID), hours: 2, rating: 5, completedAt: '2026-06-01T02:00:00Z' });
    await publishService({ orderId: order, memberId: member, stationedUnitId: null, unitId: t.unit('huangshi', GRID), hours: 2, rating: 5, completedAt: '2026-06-01T02:00:00Z' });
    await publishService({ orderId: '0b7c1a52-2d55-4c6e-9d3a-5a4c3f2e1d01', memberId: member, stationedUnitId: null, unitId: t.unit('huangshi', GRID), hours: 1, rating: 3, completedAt: '2026-06-02T02:00:00Z' });
    await publishService({ orderId: '0b7c1a52-2d55-4c6e-9d3a-5a4c3f2e1d02', memberId: retired, stationedUnitId: null, unitId: t.unit('huangshi', GRID), hours: 1, rating: 5, completedAt: '2026-06-02T02:00:00Z' });
    await publishService({ orderId: '0b7c1a52-2d55-4c6e-9d3a-5a4c3f2e1d03', memberId: null, stationedUnitId: t.unit('huangshi', GRID), unitId: t.unit('huangshi', GRID), hours: 1, rating: 5, completedAt: '2026-06-02T02:00:00Z' });
    expect(await t.catchUpEvents()).toBeGreaterThanOrEqual(5);
    const p = await points(member);
    const bonus = p.events.filter((e) => e.rule === 'VOLUNTEER_SERVICE');
    expect(bonus).toEqual([expect.objectContaining({ kind: 'BONUS', points: 10, source: `service.completed:${order}`, recordedBy: 'services' })]);
    expect(p.balance).toBe(before + 10);
    expect((await points(retired)).events).toEqual([]);
    // Replaying the whole services topic changes nothing.
    const sg = t.stack.subgraphs.find((s) => s.name === 'members')!;
    await sg.followers.services!.replay();
    expect((await points(member)).balance).toBe(before + 10);
  });
});
