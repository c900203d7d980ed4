import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GraphQLSchema } from 'graphql';
import { SUBGRAPHS, createInternalSigner } from '@trellis/platform';
import { gql, testInternalKeys } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '../src/testing.ts';
import { attacks, composedSchema } from './attack.ts';

let t: TestStack;
let tokenA: string;
let schema: GraphQLSchema;
/** Tenant B's ids from every tenant-owned table of every subgraph (a few per table). */
let foreignIds: { table: string; id: string }[];

const ALLOWED = new Set(['NOT_FOUND', 'BAD_USER_INPUT', 'FORBIDDEN']);

async function tableFingerprints(tenantId: string): Promise<Record<string, string>> {
  const { rows: tables } = await t.db.query<{ schema: string; table: string }>(
    `select table_schema as schema, table_name as table from information_schema.columns
      where column_name = 'tenant_id' and table_schema = any($1) order by 1, 2`, [SUBGRAPHS]);
  const out: Record<string, string> = {};
  for (const { schema: s, table } of tables) {
    const { rows } = await t.db.query<{ h: string }>(`select coalesce(md5(string_agg(x::text, '|' order by x::text)), '') h from "${s}"."${table}" x where tenant_id = $1`, [tenantId]);
    out[`${s}.${table}`] = rows[0]!.h;
  }
  return out;
}

beforeAll(async () => {
  t = await startTestStack();
  tokenA = await t.token('huangshi', 'CITY_ADMIN');
  schema = await composedSchema(t.url, tokenA);
  const tenantB = t.tenants.haiyang!.id;
  const { rows: tables } = await t.db.query<{ schema: string; table: string }>(
    `select c.table_schema as schema, c.table_name as table from information_schema.columns c
      where c.column_name = 'id' and c.data_type = 'uuid' and c.table_schema = any($1)
        and exists (select 1 from information_schema.columns t where t.table_schema = c.table_schema and t.table_name = c.table_name and t.column_name = 'tenant_id')`, [SUBGRAPHS]);
  foreignIds = [];
  for (const { schema: s, table } of tables) {
    const idCol = s === 'organisation' && table === 'tenant' ? 'id' : 'tenant_id';
    const { rows } = await t.db.query<{ id: string }>(`select id::text from "${s}"."${table}" where ${idCol} = $1 order by id limit 3`, [tenantB]);
    foreignIds.push(...rows.map((r) => ({ table: `${s}.${table}`, id: r.id })));
  }
});
afterAll(() => t.close());

describe("tenant A's token against tenant B's ids (generated from the composed schema)", () => {
  it('found foreign ids in several tables and ID-taking root fields to attack', () => {
    expect(new Set(foreignIds.map((f) => f.table)).size).toBeGreaterThanOrEqual(5);
    expect(attacks(schema, 'query', 'x').length).toBeGreaterThanOrEqual(5);
    expect(attacks(schema, 'mutation', 'x').length).toBeGreaterThanOrEqual(5);
  });

  it('every root query field answers NOT_FOUND (or an empty answer) for every foreign id', async () => {
    const leaks: string[] = [];
    for (const { id, table } of foreignIds) {
      for (const a of attacks(schema, 'query', id)) {
        const r = await gql<Record<string, unknown>>(t.url, tokenA, a.operation);
        const value = r.data?.[a.field];
        const leaked = a.returnsList ? Array.isArray(value) && value.length > 0 : value !== null && value !== undefined;
        const badCode = (r.errors ?? []).some((e) => !ALLOWED.has(String(e.extensions?.code)));
        if (leaked || badCode) leaks.push(`${a.field} with ${table} ${id}: ${JSON.stringify(r).slice(0, 200)}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('every entity type resolves foreign ids to null in the subgraph that owns it', async () => {
    const sign = await createInternalSigner(testInternalKeys().privateKeyPem);
    const principal = { sub: 'attacker', tenantId: t.tenants.huangshi!.id, tenantSlug: 'huangshi', role: 'CITY_ADMIN' as const, scopes: [] };
    let probes = 0;
    // The owner of an entity type is the first subgraph, in composition order, to declare it;
    // later ones extend it with their own fields (which row-level security filters anyway).
    const owned = new Set<string>();
    for (const sg of t.stack.subgraphs) {
      const sdl = (await gql<{ _service: { sdl: string } }>(sg.url, await sign(sg.name, principal), '{ _service { sdl } }')).data!._service.sdl;
      const entityTypes = [...sdl.matchAll(/type (\w+) @key\(fields: "id"(?!, resolvable: false)/g)].map((m) => m[1]!).filter((ty) => !owned.has(ty));
      for (const type of entityTypes) {
        owned.add(type);
        const reps = foreignIds.map((f) => ({ __typename: type, id: f.id }));
        const r = await gql<{ _entities: unknown[] }>(sg.url, await sign(sg.name, principal), `query($r: [_Any!]!) { _entities(representations: $r) { __typename } }`, { r: reps });
        expect({ type, leaked: (r.data?._entities ?? []).filter((e) => e !== null) }).toEqual({ type, leaked: [] });
        probes += reps.length;
      }
    }
    expect(probes).toBeGreaterThan(0);
  });

  // Every id-taking mutation of every subgraph against every table's foreign ids: thousands of
  // requests, slow on a busy machine.
  it('every mutation taking an id fails for foreign ids and leaves tenant B unchanged', async () => {
    const before = await tableFingerprints(t.tenants.haiyang!.id);
    const wrote: string[] = [];
    for (const { id, table } of foreignIds) {
      for (const a of attacks(schema, 'mutation', id)) {
        const r = await gql<Record<string, unknown>>(t.url, tokenA, a.operation);
        if (r.data?.[a.field] || !(r.errors ?? []).length) wrote.push(`${a.field} with ${table} ${id}: ${JSON.stringify(r).slice(0, 200)}`);
      }
    }
    expect(wrote).toEqual([]);
    expect(await tableFingerprints(t.tenants.haiyang!.id)).toEqual(before);
  }, 300_000);

  it('search never returns another tenant’s units', async () => {
    const r = await gql<{ searchOrgUnits: { id: string }[] }>(t.url, tokenA, '{ searchOrgUnits(text: "社区", first: 100) { id } }');
    const { rows } = await t.db.query<{ id: string }>('select id::text from organisation.org_unit where tenant_id = $1', [t.tenants.haiyang!.id]);
    const foreign = new Set(rows.map((x) => x.id));
    expect(r.data!.searchOrgUnits.length).toBeGreaterThan(0);
    expect(r.data!.searchOrgUnits.filter((u) => foreign.has(u.id))).toEqual([]);
  });
});

describe('a district administrator against its sibling district', () => {
  let sibling: { district: string; street: string };
  let districtToken: string;
  beforeAll(async () => {
    // The demo city has one district; the city administrator opens a second one to probe.
    const root = t.unit('huangshi', '中共黄石市委');
    const mk = async (p: string, kind: string, name: string) => (await gql<{ createOrgUnit: { id: string } }>(t.url, tokenA,
      `mutation($p: ID!, $k: String!, $n: String!) { createOrgUnit(input: { parentId: $p, kind: $k, name: $n }) { id } }`, { p, k: kind, n: name })).data!.createOrgUnit.id;
    const district = await mk(root, 'DISTRICT', '西塞山区');
    sibling = { district, street: await mk(district, 'STREET', '八泉街道') };
    districtToken = await t.token('huangshi', 'DISTRICT_ADMIN', { scope: '中共黄石市委/黄石港区' });
  });

  it('reads its own district but gets NOT_FOUND for every attackable root field with the sibling’s ids', async () => {
    const own = await gql<{ orgUnit: { name: string } }>(t.url, districtToken, 'query($id: ID!) { orgUnit(id: $id) { name } }', { id: t.unit('huangshi', '中共黄石市委/黄石港区') });
    expect(own.data!.orgUnit.name).toBe('黄石港区');
    for (const id of [sibling.district, sibling.street, t.unit('huangshi', '中共黄石市委')]) {
      for (const a of attacks(schema, 'query', id)) {
        const r = await gql<Record<string, unknown>>(t.url, districtToken, a.operation);
        const value = r.data?.[a.field];
        expect({ field: a.field, leaked: a.returnsList ? Array.isArray(value) && value.length > 0 : value != null }).toEqual({ field: a.field, leaked: false });
      }
    }
  });

  it('cannot rename, move into, create under or search the sibling district', async () => {
    const rename = await gql(t.url, districtToken, 'mutation($id: ID!) { renameOrgUnit(id: $id, name: "改名") { id } }', { id: sibling.street });
    expect(rename.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    const create = await gql(t.url, districtToken, 'mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "COMMUNITY", name: "越界社区" }) { id } }', { p: sibling.street });
    expect(create.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const move = await gql(t.url, districtToken, 'mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p) { id } }', { id: t.unit('huangshi', '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委'), p: sibling.street });
    expect(move.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const search = await gql<{ searchOrgUnits: unknown[] }>(t.url, districtToken, '{ searchOrgUnits(text: "八泉") { id } }');
    expect(search.data!.searchOrgUnits).toEqual([]);
    const { rows } = await t.db.query<{ name: string }>('select name from organisation.org_unit where id = $1', [sibling.street]);
    expect(rows[0]!.name).toBe('八泉街道');
  });
});

describe('deduplication and caches never share one principal’s answer with another', () => {
  it('identical documents sent at once from two tenants and two streets each get their own data', async () => {
    const dedup = await startTestStack({ deduplicateInbound: true });
    try {
      const doc = '{ myTenant { slug } myRootUnits { name } }';
      const callers = [
        { token: await dedup.token('huangshi', 'CITY_ADMIN'), expect: { slug: 'huangshi', root: '中共黄石市委' } },
        { token: await dedup.token('haiyang', 'CITY_ADMIN'), expect: { slug: 'haiyang', root: '中共海阳市委' } },
        { token: await dedup.token('huangshi', 'STREET_ADMIN', { scope: '中共黄石市委/黄石港区/黄石港街道' }), expect: { slug: 'huangshi', root: '黄石港街道' } },
        { token: await dedup.token('huangshi', 'STREET_ADMIN', { scope: '中共黄石市委/黄石港区/红旗桥街道' }), expect: { slug: 'huangshi', root: '红旗桥街道' } },
      ];
      const runs = await Promise.all(Array.from({ length: 8 }, () => callers.map(async (c) => ({ c, r: await gql<{ myTenant: { slug: string }; myRootUnits: { name: string }[] }>(dedup.url, c.token, doc) }))).flat());
      for (const { c, r } of runs) {
        expect({ slug: r.data!.myTenant.slug, root: r.data!.myRootUnits.map((u) => u.name).join() }).toEqual(c.expect);
      }
    } finally {
      await dedup.close();
    }
  });
});
