import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { NOW } from './helpers.ts';

// Member records reached through another subgraph's fields (an order's provider) follow the same
// permission as Query.member: members:read, or the principal's own record.
let t: TestStack;
let order: { id: string; member: string; unit: string };
const Q = 'query($id: ID!) { serviceOrder(id: $id) { id provider { name member { id name birthDate } } } }';

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  const { rows } = await t.db.query<{ id: string; member: string; unit: string }>(
    `select id::text, provider_member_id::text as member, unit_id::text as unit from services.service_order
      where tenant_id = $1 and provider_member_id is not null and state = 'ACCEPTED' order by id limit 1`,
    [t.tenants.huangshi!.id]);
  order = rows[0]!;
  // Taken from its community's claiming board: other members of the community still see the
  // order there (the services policies show a member nothing else of someone else's order).
  await t.db.query('update services.service_order set posted_at = submitted_at where id = $1', [order.id]);
});
afterAll(() => t.close());

describe('member records reached through federation', () => {
  it('an administrator with members:read sees the provider', async () => {
    const r = await gql<{ serviceOrder: { provider: { member: { id: string; name: string } } } }>(t.url, await t.token('huangshi', 'CITY_ADMIN'), Q, { id: order.id });
    expect(r.errors).toBeUndefined();
    expect(r.data!.serviceOrder.provider.member.id).toBe(order.member);
    expect(r.data!.serviceOrder.provider.member.name.length).toBeGreaterThan(0);
  });

  it('another member, or an integrator with services:read only, gets FORBIDDEN for the member and no personal fields', async () => {
    const { rows } = await t.db.query<{ id: string }>(`select id::text from members.member where tenant_id = $1 and id <> $2 limit 1`, [t.tenants.huangshi!.id, order.member]);
    for (const token of [
      await t.token('huangshi', 'MEMBER', { memberId: rows[0]!.id, scopeUnitId: order.unit }),
      await t.token('huangshi', 'INTEGRATOR', { scopes: ['services:read'] }),
    ]) {
      const r = await gql<{ serviceOrder: { id: string; provider: { member: unknown } } | null }>(t.url, token, Q, { id: order.id });
      expect(codes(r)).toContain('FORBIDDEN');
      expect(JSON.stringify(r.data ?? {})).not.toContain('birthDate');
    }
  });

  it('the provider reads their own record through the order', async () => {
    const r = await gql<{ serviceOrder: { provider: { member: { id: string } } } }>(t.url, await t.token('huangshi', 'MEMBER', { memberId: order.member }), Q, { id: order.id });
    expect(r.errors).toBeUndefined();
    expect(r.data!.serviceOrder.provider.member.id).toBe(order.member);
  });
});
