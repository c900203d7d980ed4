import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { sqlCounter } from '@trellis/platform';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { seed, type SeedMember, type SeedUnit } from '../src/seed.ts';
import { DISTRICT, STAT_FIELDS, directStatistics, expectSameStatistics, movableClock, ok, type Statistics } from './helpers.ts';

const clock = movableClock();
let t: TestStack;
let admin: string;
let tenantId: string;
let memberCount: number;

beforeAll(async () => {
  t = await startTestStack({ clock: clock.now });
  admin = await t.token('huangshi', 'CITY_ADMIN');
  tenantId = t.tenants.huangshi!.id;
  // What the seed driver hands over: the tree, the members, the organisation topic's position.
  const { rows: units } = await t.db.query<SeedUnit>(
    `select id::text, parent_id::text as "parentId", kind, path::text, nlevel(path) - 1 as depth, name from organisation.org_unit where tenant_id = $1 order by nlevel(path), path`, [tenantId]);
  const { rows: members } = await t.db.query<SeedMember>(
    `select id::text, org_unit_id::text as "orgUnitId", categories, reported_in_community::text as "reportedInCommunity", birth_date::text as "birthDate", stage
       from members.member where tenant_id = $1 order by id`, [tenantId]);
  memberCount = members.length;
  const { rows: [seq] } = await t.db.query<{ last_seq: string }>(`select last_seq::text from events.counter where topic = 'organisation' and tenant_id = $1`, [tenantId]);
  const client = new pg.Client({ connectionString: t.db.adminUrl });
  await client.connect();
  let written = 0;
  try {
    await seed({ client, tenantId, seed: 42, now: clock.now(), profile: 'demo', units, members, organisationSeq: Number(seq!.last_seq), progress: (n) => { written += n; } });
  } finally {
    await client.end();
  }
  expect(written).toBeGreaterThan(memberCount);
}, 120_000);
afterAll(() => t.close());

describe('bulk seed', () => {
  it('writes about 1.5 orders per member, about 90 % of older orders closed, mostly good ratings', async () => {
    const { rows: [r] } = await t.db.query<{ orders: number; old: number; old_closed: number; avg: number; paths_ok: boolean }>(
      `select count(*)::int as orders, count(*) filter (where submitted_at < $2::timestamptz - interval '14 days')::int as old,
              count(*) filter (where submitted_at < $2::timestamptz - interval '14 days' and state = 'CLOSED')::int as old_closed,
              avg(rating)::float8 as avg, bool_and(org_path is not null and nlevel(org_path) > 1) as paths_ok
         from services.service_order where tenant_id = $1 and submitted_by = 'seed'`, [tenantId, clock.now().toISOString()]);
    expect(r!.orders).toBe(Math.round(memberCount * 1.5));
    expect(r!.old_closed / r!.old).toBeGreaterThan(0.85);
    expect(r!.old_closed / r!.old).toBeLessThan(0.95);
    expect(r!.avg).toBeGreaterThan(4);
    expect(r!.paths_ok).toBe(true);
  });

  it('leaves the rollups exact: statistics equal a direct aggregate for the district and a street', async () => {
    for (const key of ['中共黄石市委', DISTRICT, `${DISTRICT}/红旗桥街道`]) {
      const d = await ok<{ orgUnit: { serviceStatistics: Statistics } }>(t.url, admin, `query($id: ID!) { orgUnit(id: $id) { serviceStatistics { ${STAT_FIELDS} } } }`, { id: t.unit('huangshi', key) });
      expectSameStatistics(d.orgUnit.serviceStatistics, await directStatistics(t.db, tenantId, t.unit('huangshi', key)));
    }
  });

  it('the follower resumes after the seeded position: nothing from the organisation topic is applied again', async () => {
    const { rows } = await t.db.query<{ cursor: string; latest: string }>(
      `select s.last_seq::text as cursor, c.last_seq::text as latest from events.subscription s
         join events.counter c on c.topic = s.topic and c.tenant_id = s.tenant_id
        where s.subscriber = 'services' and s.topic = 'organisation' and s.tenant_id = $1`, [tenantId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.cursor).toBe(rows[0]!.latest);
  });
});

describe('no N+1 in the services subgraph', () => {
  const query = `query($id: ID!, $first: Int!) { orgUnit(id: $id) { name serviceStatistics { totalOrders }
    serviceOrders(first: $first) { edges { node { id title state residentPhone category { code name }
      organisation { id name } provider { kind member { id name } } transitions { from to actor at } } } pageInfo { hasNextPage } } } }`;

  async function statementsFor(first: number): Promise<number> {
    const before = sqlCounter.total;
    const r = await gql<{ orgUnit: { serviceOrders: { edges: { node: { organisation: { name: string }; transitions: unknown[] } }[] } } }>(t.url, admin, query, { id: t.unit('huangshi', DISTRICT), first });
    expect(r.errors).toBeUndefined();
    expect(r.data!.orgUnit.serviceOrders.edges).toHaveLength(first);
    expect(r.data!.orgUnit.serviceOrders.edges.every((e) => e.node.organisation.name.length > 0 && e.node.transitions.length > 0)).toBe(true);
    return sqlCounter.total - before;
  }

  it('a page of 100 orders with categories, units, providers and transitions costs the same SQL statements as a page of 10', async () => {
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    expect(hundred).toBe(ten);
    expect(ten).toBeLessThan(40);
  });

  it('order references from the gateway are resolved in one batch', async () => {
    const { rows } = await t.db.query<{ id: string }>('select id::text from services.service_order where tenant_id = $1 order by id limit 100', [tenantId]);
    const { createInternalSigner } = await import('@trellis/platform');
    const { testInternalKeys } = await import('@trellis/platform/testkit/index.ts');
    const cred = await (await createInternalSigner(testInternalKeys().privateKeyPem))('services', { sub: 's', tenantId, tenantSlug: 'huangshi', role: 'CITY_ADMIN', scopes: [] });
    const sg = t.stack.subgraphs.find((s) => s.name === 'services')!;
    const count = async (ids: string[]) => {
      const before = sqlCounter.total;
      const r = await gql<{ _entities: { title: string; category: { code: string } }[] }>(sg.url, cred,
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on ServiceOrder { title category { code } transitions { to } } } }', { r: ids.map((id) => ({ __typename: 'ServiceOrder', id })) });
      expect(r.data!._entities.filter(Boolean)).toHaveLength(ids.length);
      return sqlCounter.total - before;
    };
    expect(await count(rows.map((r) => r.id))).toBe(await count(rows.slice(0, 10).map((r) => r.id)));
  });
});
