import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { Principal } from '@trellis/platform';
import { planAsRole } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { escalateEverywhere } from '../src/index.ts';
import { GRID, GROUP, STAT_FIELDS, categoryId, directStatistics, expectSameStatistics, memberIds, movableClock, ok, submit, type Statistics } from './helpers.ts';

const clock = movableClock();
let t: TestStack;
let admin: string;
let medicine: string;
let tenantId: string;

beforeAll(async () => {
  t = await startTestStack({ clock: clock.now });
  admin = await t.token('huangshi', 'CITY_ADMIN');
  medicine = await categoryId(t, admin, 'HEALTH.CARE.MEDICINE');
  tenantId = t.tenants.huangshi!.id;
  // Demo orders that are overdue already are escalated first, so the tests below see only their own.
  await escalateEverywhere(services().orm, clock.now);
});
afterAll(() => t.close());

const services = () => t.stack.subgraphs.find((s) => s.name === 'services')!;

type Escalated = { escalationLevel: number; overdue: boolean; transitions: { action: string; actor: string }[] };
const orderOf = async (id: string) => (await ok<{ serviceOrder: Escalated }>(t.url, admin,
  'query($id: ID!) { serviceOrder(id: $id) { escalationLevel overdue transitions { action actor } } }', { id })).serviceOrder;

/** The plan of a read as the services role with a city administrator's session, scans and hash or merge joins off. */
const planAsServiceRole = (sql: string, params: unknown[]) => planAsRole(
  t.db.appUrl('services'), { sub: 'probe', tenantId, tenantSlug: 'huangshi', role: 'CITY_ADMIN', scopes: [] } as Principal, sql, params,
  ['enable_seqscan', 'enable_hashjoin', 'enable_mergejoin']);

describe('the escalation sweep reads only the orders that are due, batch by batch', () => {
  it('escalates every due order, each batch in its own transaction, and leaves orders that are not due alone', async () => {
    const due = [];
    for (let i = 0; i < 5; i++) due.push(await submit(t, admin, t.unit('huangshi', GROUP), medicine));
    clock.advanceHours(4.5);
    // Submitted later: its response deadline (4 hours) has not passed at the sweep.
    const later = await submit(t, admin, t.unit('huangshi', GROUP), medicine);
    clock.advanceHours(0.6);
    expect(await escalateEverywhere(services().orm, clock.now, 2)).toBe(5);
    for (const id of due) {
      const o = await orderOf(id);
      expect(o).toMatchObject({ escalationLevel: 1, overdue: true });
      expect(o.transitions.at(-1)).toEqual({ action: 'escalate', actor: 'system' });
    }
    expect(await orderOf(later)).toMatchObject({ escalationLevel: 0, overdue: false });
    // Batches of two: the five orders were written by at least three transactions.
    const { rows: [x] } = await t.db.query<{ transactions: number }>(
      'select count(distinct xmin::text)::int as transactions from services.service_order where id = any($1::uuid[])', [due]);
    expect(x!.transactions).toBeGreaterThanOrEqual(3);
    expect(await escalateEverywhere(services().orm, clock.now, 2)).toBe(0);
    // The later order's turn comes when its own deadline passes.
    clock.advanceHours(4);
    expect(await escalateEverywhere(services().orm, clock.now, 2)).toBe(1);
    expect(await orderOf(later)).toMatchObject({ escalationLevel: 1, overdue: true });
  });

  it('does not wait for an order someone is working on: it skips it and escalates it on the next run', async () => {
    const held = await submit(t, admin, t.unit('huangshi', GROUP), medicine);
    const free = await submit(t, admin, t.unit('huangshi', GROUP), medicine);
    clock.advanceHours(5);
    const other = new pg.Client({ connectionString: t.db.adminUrl });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select id from services.service_order where id = $1 for update', [held]);
      // (Demo orders whose completion deadline passed meanwhile are escalated too.)
      expect(await escalateEverywhere(services().orm, clock.now)).toBeGreaterThanOrEqual(1);
      expect(await orderOf(free)).toMatchObject({ escalationLevel: 1 });
      expect(await orderOf(held)).toMatchObject({ escalationLevel: 0 });
      await other.query('rollback');
    } finally {
      await other.end();
    }
    expect(await escalateEverywhere(services().orm, clock.now)).toBe(1);
    expect(await orderOf(held)).toMatchObject({ escalationLevel: 1 });
    expect(await escalateEverywhere(services().orm, clock.now)).toBe(0);
  });

  it('the due range is an index condition for the service role under the row policies', async () => {
    const due = await planAsServiceRole(
      `select o.id from services.service_order o where o.tenant_id = platform.current_tenant() and o.escalate_at < $1
        order by o.escalate_at, o.id limit 500`, [clock.now()]);
    expect(due).toMatch(/Index Scan using service_order_escalate_at .*\n\s+Index Cond: .*escalate_at < /);
    // The escalation target: the order's ancestors by id, from its path's labels.
    const { rows: [order] } = await t.db.query<{ path: string }>(`select org_path::text as path from services.service_order where tenant_id = $1 order by id limit 1`, [tenantId]);
    const target = await planAsServiceRole(
      `select (select u.kind from services.unit_path u where u.tenant_id = platform.current_tenant() and u.unit_id = a.unit_id)
         from unnest(string_to_array($1, '.')::uuid[]) with ordinality as a(unit_id, depth)`, [order!.path]);
    expect(target).toMatch(/Index Scan using unit_path_pkey .*\n\s+Index Cond: .*unit_id = a\.unit_id/);
  });
});

describe('subtree paths are served by ancestor ids, not by ltree indexes', () => {
  it('no services table carries a GiST index on a path (under the policies none could be used)', async () => {
    const { rows } = await t.db.query<{ indexname: string }>(`select indexname from pg_indexes where schemaname = 'services' and indexdef ilike '%using gist%'`);
    expect(rows).toEqual([]);
  });

  it('matching reads the offers serving an area and the provider summaries by index under the policies', async () => {
    const { rows: [order] } = await t.db.query<{ path: string }>(`select org_path::text as path from services.service_order where tenant_id = $1 order by id limit 1`, [tenantId]);
    const offers = await planAsServiceRole(
      `select (select count(*) from services.resource r where r.tenant_id = platform.current_tenant() and r.serves_unit_id = area.unit_id and r.active)
         from unnest(string_to_array($1, '.')::uuid[]) as area(unit_id)`, [order!.path]);
    expect(offers).toMatch(/Index (Only )?Scan using resource_serves .*\n\s+Index Cond: .*serves_unit_id = area\.unit_id/);
    const load = await planAsServiceRole(
      `with f as materialized (select case when r.member_id is not null then r.member_id else r.stationed_unit_id end as provider_id from services.resource r)
       select (select ps.value from services.provider_stat ps where ps.tenant_id = platform.current_tenant() and ps.provider_id = f.provider_id and ps.metric = 'open') from f`, []);
    expect(load).toMatch(/Index Scan using provider_stat_pkey .*\n\s+Index Cond: .*provider_id = f\.provider_id/);
  });
});

describe('the close-time histogram: by the hour for two days, then by the day', () => {
  const UNIT = `${GRID}/2号楼党小组`;
  const statsOf = async (key: string) => (await ok<{ orgUnit: { serviceStatistics: Statistics } }>(t.url, admin,
    `query($id: ID!) { orgUnit(id: $id) { serviceStatistics { ${STAT_FIELDS} } } }`, { id: t.unit('huangshi', key) })).orgUnit.serviceStatistics;

  it('puts each closing time in its bucket', async () => {
    const { rows } = await t.db.query<{ h: string; b: number }>(
      `select h::text, services.close_hours_bucket(h) as b from unnest(array[0, 0.5, 47.99, 48, 71.9, 72, 100.5, 1439.9, 1440, 5000]::numeric[]) as h`);
    expect(Object.fromEntries(rows.map((r) => [r.h, r.b]))).toEqual({
      '0': 0, '0.5': 0, '47.99': 47, '48': 48, '71.9': 48, '72': 72, '100.5': 96, '1439.9': 1416, '1440': 1440, '5000': 1440,
    });
  });

  it('keeps the lower median exact to its bucket and the summaries equal to the orders', async () => {
    expect((await statsOf(UNIT)).totalOrders).toBe(0);
    const [member] = await memberIds(t, 'huangshi', 1);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = await submit(t, admin, t.unit('huangshi', UNIT), medicine);
      await ok(t.url, admin, 'mutation($id: ID!) { triageOrder(id: $id) { state } }', { id });
      await ok(t.url, admin, 'mutation($id: ID!) { postOrderForClaiming(id: $id) { state } }', { id });
      await ok(t.url, admin, 'mutation($id: ID!, $m: ID!) { claimOrder(id: $id, memberId: $m) { state } }', { id, m: member });
      await ok(t.url, admin, 'mutation($id: ID!) { completeOrder(id: $id, hours: 1) { state } }', { id });
      ids.push(id);
    }
    const close = (id: string) => ok(t.url, admin, 'mutation($id: ID!) { rateOrder(id: $id, rating: 5) { state } }', { id });
    clock.advanceHours(30.2);
    await close(ids[0]!);
    await close(ids[1]!);
    clock.advanceHours(70.3);
    await close(ids[2]!);
    await close(ids[3]!);
    // 30, 30, 96, 96: the lower median is the second.
    expect((await statsOf(UNIT)).medianHoursToClose).toBe(30);
    clock.advanceHours(1400);
    await close(ids[4]!);
    const s = await statsOf(UNIT);
    // 30, 30, 96, 96, 1440 (closed after 100.5 hours: the fifth day, which starts at hour 96).
    expect(s.medianHoursToClose).toBe(96);
    const { rows } = await t.db.query<{ metric: string; value: number }>(
      `select metric, value::int from services.subtree_stat where tenant_id = $1 and ancestor_id = $2 and metric like 'close_hours:%' order by value desc, metric`,
      [tenantId, t.unit('huangshi', UNIT)]);
    expect(rows).toEqual([{ metric: 'close_hours:30', value: 2 }, { metric: 'close_hours:96', value: 2 }, { metric: 'close_hours:1440', value: 1 }]);
    for (const key of [UNIT, GRID]) expectSameStatistics(await statsOf(key), await directStatistics(t.db, tenantId, t.unit('huangshi', key)));
  });
});
