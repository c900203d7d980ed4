import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createSummaryCache, sqlCounter } from '@trellis/platform';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '../src/testing.ts';

// Statistics computed from the maintained summaries are kept per running subgraph under the
// tenant's summary version: reused while nothing changed, recomputed after any write.
let t: TestStack;
let city: string;
beforeAll(async () => {
  t = await startTestStack();
  city = await t.token('huangshi', 'CITY_ADMIN');
});
afterAll(() => t.close());

const DISTRICT = '中共黄石市委/黄石港区';
const COMMUNITY = '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委';
const figures = `query($ids: [ID!]!) { orgUnits(ids: $ids) { id
  memberStatistics { total probationary duesCollectionRate byAgeBand { ageBand count } }
  serviceStatistics { ordersByState { state count } closureRate }
  assessmentProgress { targets byState { state count overdue } } } }`;

interface Figures { orgUnits: { id: string; memberStatistics: { total: number; byAgeBand: { count: number }[] }; serviceStatistics: { ordersByState: { state: string; count: number }[] } }[] }

async function read(token = city): Promise<{ data: Figures; statements: number }> {
  const before = sqlCounter.total;
  const r = await gql<Figures>(t.url, token, figures, { ids: [t.unit('huangshi', DISTRICT), t.unit('huangshi', COMMUNITY)] });
  expect(r.errors).toBeUndefined();
  return { data: r.data!, statements: sqlCounter.total - before };
}

describe('statistics cache keyed by the summary version', () => {
  it('computes a unit\'s figures once while the summaries are unchanged, for every caller of the same scope', async () => {
    const first = await read();
    const again = await read();
    expect(again.data).toEqual(first.data);
    // The unit, member statistics, age band, service and progress statements are not run again (one each).
    expect(again.statements).toBe(first.statements - 5);
    const colleague = await read(await t.token('huangshi', 'CITY_ADMIN', { sub: 'another-city-admin' }));
    expect(colleague.statements).toBe(again.statements);
    expect(colleague.data).toEqual(first.data);
  });

  it('shows a write at once: a new member and a new order change the figures of every ancestor', async () => {
    const before = await read();
    const created = await gql<{ createMember: { id: string } }>(t.url, city, 'mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
      i: { orgUnitId: t.unit('huangshi', COMMUNITY), name: '缓存测', idCardNumber: '420202197001010010', education: 'SENIOR_SECONDARY', stage: 'FULL', joinedOn: '1995-07-01', stageSince: '1996-07-01', categories: ['RETIRED'] },
    });
    expect(created.errors).toBeUndefined();
    const catalogue = await gql<{ serviceCatalogue: { id: string }[] }>(t.url, city, '{ serviceCatalogue { id } }');
    const order = await gql(t.url, city, 'mutation($i: SubmitOrderInput!) { submitOrder(input: $i) { id } }', {
      i: { unitId: t.unit('huangshi', COMMUNITY), categoryId: catalogue.data!.serviceCatalogue[0]!.id, title: '帮忙换灯泡', residentName: '王阿姨', residentPhone: '13912345836', channel: 'GRID_WORKER' },
    });
    expect(order.errors).toBeUndefined();
    const after = await read();
    // Member statistics, age bands and services compute again; campaign progress, which neither
    // write touched, does not.
    expect(after.statements).toBe(before.statements + 3);
    const submitted = (u: Figures['orgUnits'][number]) => u.serviceStatistics.ordersByState.find((s) => s.state === 'SUBMITTED')?.count ?? 0;
    for (const [i, unit] of after.data.orgUnits.entries()) {
      expect(unit.memberStatistics.total).toBe(before.data.orgUnits[i]!.memberStatistics.total + 1);
      const banded = (u: Figures['orgUnits'][number]) => u.memberStatistics.byAgeBand.reduce((n, b) => n + b.count, 0);
      expect(banded(unit)).toBe(banded(before.data.orgUnits[i]!) + 1);
      expect(submitted(unit)).toBe(submitted(before.data.orgUnits[i]!) + 1);
    }
  });

  it('neither fills nor uses the cache from a transaction that writes (its version may yet be rolled back), and keeps only the newest version', async () => {
    const client = new pg.Client({ connectionString: t.db.appUrl('members') });
    await client.connect();
    // Outside an EntityManager's own transaction: the version is read at every call.
    const em = { execute: async <T>(sql: string) => (await client.query(sql)).rows as T, getTransactionContext: () => undefined };
    const cache = createSummaryCache();
    let loads = 0;
    const load = async (keys: readonly string[]) => { loads++; return new Map(keys.map((k) => [k, loads])); };
    const through = () => cache.through(em as never, 'members.summary_version', t.tenants.huangshi!.id, 'ctx', ['unit'], load);
    /** A transaction of the tenant: `begin` or `begin read only`. */
    const open = async (begin: string) => {
      await client.query(begin);
      await client.query(`select set_config('app.tenant_id', $1, true)`, [t.tenants.huangshi!.id]);
    };
    const touchSummaries = () => client.query(`update members.member_rollup set count = count where false`);
    try {
      await open('begin');
      await touchSummaries();
      expect((await through()).get('unit')).toBe(1);
      expect((await through()).get('unit')).toBe(2);
      expect(cache.size).toBe(0);
      await client.query('rollback');

      await open('begin read only');
      expect((await through()).get('unit')).toBe(3);
      expect((await through()).get('unit')).toBe(3);
      expect(cache.size).toBe(1);
      await client.query('commit');

      // A committed write: the next read computes afresh and the older figures are dropped.
      await open('begin');
      await touchSummaries();
      await client.query('commit');
      await open('begin read only');
      expect((await through()).get('unit')).toBe(4);
      expect(cache.size).toBe(1);
      await client.query('commit');
    } finally {
      await client.end();
    }
  });

  it('keeps the tree a dashboard reads until it changes: a new unit, a rename and a move show at once', async () => {
    const tree = `query($id: ID!) { myTenant { name } unitCountsByDistrict { district { name } total }
      orgUnit(id: $id) { name children { id name } unitCounts { kind count } } }`;
    interface Tree { myTenant: { name: string }; unitCountsByDistrict: { district: { name: string }; total: number }[]; orgUnit: { name: string; children: { id: string; name: string }[]; unitCounts: { kind: string; count: number }[] } }
    const readTree = async () => {
      const before = sqlCounter.total;
      const r = await gql<Tree>(t.url, city, tree, { id: t.unit('huangshi', DISTRICT) });
      expect(r.errors).toBeUndefined();
      return { data: r.data!, statements: sqlCounter.total - before };
    };
    const first = await readTree();
    const again = await readTree();
    expect(again.data).toEqual(first.data);
    // Only the transaction (BEGIN with the session settings, ROLLBACK) and the version read remain.
    expect(again.statements).toBeLessThan(first.statements);
    expect(again.statements).toBe(3);
    const streetsOf = (d: Tree) => d.orgUnit.unitCounts.find((c) => c.kind === 'STREET')?.count ?? 0;
    const districtTotal = (d: Tree) => d.unitCountsByDistrict.find((x) => x.district.name === '黄石港区')!.total;

    const created = await gql<{ createOrgUnit: { id: string } }>(t.url, city, 'mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "STREET", name: "缓存街道" }) { id } }', { p: t.unit('huangshi', DISTRICT) });
    expect(created.errors).toBeUndefined();
    const street = created.data!.createOrgUnit.id;
    const added = (await readTree()).data;
    expect(added.orgUnit.children.map((c) => c.name)).toContain('缓存街道');
    expect(streetsOf(added)).toBe(streetsOf(first.data) + 1);
    expect(districtTotal(added)).toBe(districtTotal(first.data) + 1);

    expect((await gql(t.url, city, 'mutation($id: ID!) { renameOrgUnit(id: $id, name: "缓存新街道") { id } }', { id: street })).errors).toBeUndefined();
    expect((await readTree()).data.orgUnit.children.find((c) => c.id === street)!.name).toBe('缓存新街道');

    // Moved to another district: it leaves this district's children and counts.
    const district = await gql<{ createOrgUnit: { id: string } }>(t.url, city, 'mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "DISTRICT", name: "缓存区" }) { id } }', { p: t.unit('huangshi', '中共黄石市委') });
    expect(district.errors).toBeUndefined();
    const elsewhere = district.data!.createOrgUnit.id;
    expect((await readTree()).data.unitCountsByDistrict.map((d) => d.district.name)).toContain('缓存区');
    expect((await gql(t.url, city, 'mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p) { id } }', { id: street, p: elsewhere })).errors).toBeUndefined();
    const after = (await readTree()).data;
    expect(after.orgUnit.children.map((c) => c.id)).not.toContain(street);
    expect(streetsOf(after)).toBe(streetsOf(first.data));
    expect(districtTotal(after)).toBe(districtTotal(first.data));
  });
});
