import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { createOrm, sessionVariables, type Principal } from '@trellis/platform';
import { planAsRole } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { entities } from '../src/entities.ts';
import { createLoaders, encodeCursor, type PageArgs } from '../src/loaders.ts';
import { NOW } from './helpers.ts';

// A member page reads a small subtree by its unit ids and a large one in name order with a path
// test (loaders.ts `pages`). The demo city is small, so both ways are forced here by the
// threshold and must give the same pages, equal to the raw rows.
let t: TestStack;
let orm: MikroORM;
beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW, followEvents: false });
  orm = await createOrm({ url: t.db.appUrl('members'), entities });
});
afterAll(async () => {
  await orm.close();
  await t.close();
});

async function pagesWith(smallSubtreeUnits: number, unitIds: string[], args: PageArgs) {
  const tenant = t.tenants.huangshi!;
  const principal = { sub: 'page-test', tenantId: tenant.id, tenantSlug: 'huangshi', role: 'CITY_ADMIN', scopes: [] } as unknown as Principal;
  const em = orm.em.fork({ session: { variables: sessionVariables(principal) } }) as SqlEntityManager;
  await em.begin({ readOnly: true });
  try {
    const loaders = createLoaders(em, principal, () => NOW, { smallSubtreeUnits });
    return await Promise.all(unitIds.map((unitId) => loaders.page.load({ unitId, args })));
  } finally {
    await em.rollback();
  }
}

/** The expected page straight from the rows: active members below the unit, by name then id. */
async function rawPage(unitId: string, first: number, filter = '', params: unknown[] = []) {
  const { rows } = await t.db.query<{ id: string; name: string }>(
    `select m.id::text, m.name from members.member m join members.unit_path u on u.unit_id = $1
      where m.org_path <@ u.path and m.membership_status = 'ACTIVE' ${filter}
      order by m.name, m.id limit $2`, [unitId, first + 1, ...params]);
  return rows;
}

describe('member pages over subtrees of any size', () => {
  const keys = ['', '/黄石港区', '/黄石港区/黄石港街道'];

  it('reading by unit ids and in name order give the same pages, equal to the raw rows', async () => {
    const units = keys.map((k) => t.unit('huangshi', `中共黄石市委${k}`));
    for (const first of [1, 7, 100]) {
      const byIds = await pagesWith(1_000_000, units, { first });
      const byName = await pagesWith(0, units, { first });
      for (const [i, unit] of units.entries()) {
        const raw = await rawPage(unit, first);
        expect(raw.length).toBeGreaterThan(0);
        expect(byIds[i]!.rows.map((r) => r.id)).toEqual(raw.slice(0, first).map((r) => r.id));
        expect(byName[i]!.rows.map((r) => r.id)).toEqual(byIds[i]!.rows.map((r) => r.id));
        expect(byIds[i]!.hasNextPage).toBe(raw.length > first);
        expect(byName[i]!.hasNextPage).toBe(raw.length > first);
      }
    }
  });

  it('a cursor and filters continue the same order either way', async () => {
    const unit = t.unit('huangshi', '中共黄石市委/黄石港区');
    const first = await rawPage(unit, 10);
    const after = encodeCursor(first[9]!);
    const raw = await rawPage(unit, 10, 'and (m.name, m.id) > ($3, $4::uuid) and $5 = any(m.categories)', [first[9]!.name, first[9]!.id, 'RETIRED']);
    expect(raw.length).toBeGreaterThan(0);
    for (const small of [0, 1_000_000]) {
      const [page] = await pagesWith(small, [unit], { first: 10, after, category: 'RETIRED' });
      expect(page!.rows.map((r) => r.id)).toEqual(raw.slice(0, 10).map((r) => r.id));
    }
  });

  it("a subtree's units are an index range for the service role under the row policies", async () => {
    // Scans switched off: the question is whether an index can serve the range at all (an ltree
    // `<@` cannot, being leaky under row-level security), not what the planner prefers here.
    const plan = await planAsRole(
      t.db.appUrl('members'), { sub: 'probe', tenantId: t.tenants.huangshi!.id, tenantSlug: 'huangshi', role: 'CITY_ADMIN', scopes: [] } as unknown as Principal,
      `select (select count(*) from members.unit_path d
                        where d.tenant_id = platform.current_tenant() and d.path_key >= up.path_key and d.path_key < up.path_key || '/')
         from members.unit_path up where up.unit_id = $1`,
      [t.unit('huangshi', '中共黄石市委/黄石港区')], ['enable_seqscan', 'enable_bitmapscan']);
    expect(plan).toMatch(/Index (Only )?Scan using unit_path_key [^\n]*\n\s+Index Cond: [^\n]*path_key >= [^\n]*path_key < /);
  });

  it('a unit that is not in the tree has an empty page', async () => {
    const [page] = await pagesWith(0, ['00000000-0000-4000-8000-000000000000'], { first: 5 });
    expect(page).toEqual({ rows: [], hasNextPage: false });
  });
});
