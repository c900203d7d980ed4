import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sqlCounter } from '@trellis/platform';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';

let t: TestStack;
let token: string;
let unitIds: string[];
beforeAll(async () => {
  t = await startTestStack();
  token = await t.token('huangshi', 'CITY_ADMIN');
  const { rows } = await t.db.query<{ id: string }>(`select u.id::text from organisation.org_unit u join organisation.tenant te on te.id = u.tenant_id where te.slug = 'huangshi' and u.kind = 'GRID' order by u.name, u.id limit 100`);
  unitIds = rows.map((r) => r.id);
});
afterAll(() => t.close());

const query = `query($ids: [ID!]!) { orgUnits(ids: $ids) {
  id name kind { code name } parent { name kind { code } } ancestors { name } children { name }
  district { name } unitCounts { kind count } history { change } stationedUnits { name } bigCommittees { name } } }`;

async function statementsFor(ids: string[]): Promise<number> {
  const before = sqlCounter.total;
  const r = await gql<{ orgUnits: unknown[] }>(t.url, token, query, { ids });
  expect(r.errors).toBeUndefined();
  expect(r.data!.orgUnits).toHaveLength(ids.length);
  return sqlCounter.total - before;
}

describe('no N+1 in the organisation subgraph', () => {
  it('a list of 100 units with nested fields costs the same number of SQL statements as a list of 10', async () => {
    expect(unitIds).toHaveLength(100);
    const ten = await statementsFor(unitIds.slice(0, 10));
    const hundred = await statementsFor(unitIds);
    expect(hundred).toBe(ten);
    expect(ten).toBeLessThan(20);
  });

  it('entity references from other subgraphs are resolved in one batch', async () => {
    const before = sqlCounter.total;
    const many = await gql<{ orgUnits: { id: string }[] }>(t.url, token, `query($ids: [ID!]!) { orgUnits(ids: $ids) { id } }`, { ids: unitIds });
    expect(many.data!.orgUnits).toHaveLength(100);
    const base = sqlCounter.total - before;
    // The _entities path: one representation list, one statement.
    const sg = t.stack.subgraphs.find((s) => s.name === 'organisation')!;
    const { createInternalSigner } = await import('@trellis/platform');
    const { testInternalKeys } = await import('@trellis/platform/testkit/index.ts');
    const sign = await createInternalSigner(testInternalKeys().privateKeyPem);
    const cred = await sign('organisation', { sub: 's', tenantId: t.tenants.huangshi!.id, tenantSlug: 'huangshi', role: 'CITY_ADMIN', scopes: [] });
    const before2 = sqlCounter.total;
    const r = await gql<{ _entities: { name: string }[] }>(sg.url, cred, `query($r: [_Any!]!) { _entities(representations: $r) { ... on OrgUnit { name } } }`, { r: unitIds.map((id) => ({ __typename: 'OrgUnit', id })) });
    expect(r.data!._entities.filter(Boolean)).toHaveLength(100);
    expect(sqlCounter.total - before2).toBe(base);
  });
});
