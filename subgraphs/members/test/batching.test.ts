import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sqlCounter } from '@trellis/platform';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { NOW } from './helpers.ts';

let t: TestStack;
let token: string;
beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  // With personal data, so the audit of unmasked reads is part of what must stay batched.
  token = await t.token('huangshi', 'CITY_ADMIN', { scopes: ['members:personal-data'] });
});
afterAll(() => t.close());

const query = `query($id: ID!, $first: Int!) { orgUnit(id: $id) { name
  members(first: $first) { edges { node { id name age ageBand idCardNumber phone categories stage
    organisation { id name parent { name } } reportedInCommunity { id name } recruitmentHistory { to } } } pageInfo { hasNextPage } }
  memberStatistics { total } } }`;

async function statementsFor(first: number): Promise<number> {
  // Nothing kept from the previous call (statistics, units): the counts compare loads.
  await t.forgetCached('huangshi');
  const before = sqlCounter.total;
  const r = await gql<{ orgUnit: { members: { edges: { node: { organisation: { name: string } } }[] } } }>(t.url, token, query, { id: t.unit('huangshi', '中共黄石市委/黄石港区'), first });
  expect(r.errors).toBeUndefined();
  expect(r.data!.orgUnit.members.edges).toHaveLength(first);
  expect(r.data!.orgUnit.members.edges.every((e) => e.node.organisation.name.length > 0)).toBe(true);
  return sqlCounter.total - before;
}

describe('no N+1 in the members subgraph', () => {
  it('a page of 100 members with their organisations costs the same number of SQL statements as a page of 10', async () => {
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    expect(hundred).toBe(ten);
    expect(ten).toBeLessThan(30);
    const { rows } = await t.db.query<{ n: number }>('select count(*)::int n from members.personal_data_read');
    expect(rows[0]!.n).toBe(2 * (10 + 100));
  });

  it('member references from the gateway are resolved in one batch', async () => {
    const { rows } = await t.db.query<{ id: string }>('select id::text from members.member where tenant_id = $1 order by id limit 100', [t.tenants.huangshi!.id]);
    const count = async (ids: string[]) => {
      const { createInternalSigner } = await import('@trellis/platform');
      const { testInternalKeys } = await import('@trellis/platform/testkit/index.ts');
      const cred = await (await createInternalSigner(testInternalKeys().privateKeyPem))('members', { sub: 's', tenantId: t.tenants.huangshi!.id, tenantSlug: 'huangshi', role: 'CITY_ADMIN', scopes: [] });
      const sg = t.stack.subgraphs.find((s) => s.name === 'members')!;
      const before = sqlCounter.total;
      const r = await gql<{ _entities: { name: string }[] }>(sg.url, cred, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Member { name } } }', { r: ids.map((id) => ({ __typename: 'Member', id })) });
      expect(r.data!._entities.filter(Boolean)).toHaveLength(ids.length);
      return sqlCounter.total - before;
    };
    expect(await count(rows.map((r) => r.id))).toBe(await count(rows.slice(0, 10).map((r) => r.id)));
  });
});
