import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { createOrm, sessionVariables, sqlCounter, type Principal } from '@trellis/platform';
import { planAsRole } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { entities } from '../src/entities.ts';
import { createLoaders, encodeCursor, type Page, type PageArgs, type ReadBy, type WishArgs } from '../src/loaders.ts';
import { seed, type SeedMember, type SeedUnit } from '../src/seed.ts';
import { COMMUNITY, DISTRICT, GRID, STREET, movableClock, ok } from './helpers.ts';

// A subtree's orders and wishes are read by their units' ids when the subtree is small and
// newest first along the tenant's rows (the path test as a filter) when it is large
// (loaders.ts `subtreeRows`). The threshold is forced both ways here: every page must be the
// same either way, and equal to the rows as the plain path query under the policies finds them.
const clock = movableClock();
let t: TestStack;
let orm: MikroORM;
let tenantId: string;
const ROOT = '中共黄石市委';
const BY_UNITS = 1e12;
const WALK = 0;

beforeAll(async () => {
  t = await startTestStack({ clock: clock.now });
  tenantId = t.tenants.huangshi!.id;
  orm = await createOrm({ url: t.db.appUrl('services'), entities });
  // About 1.5 orders per member across the whole tree (the bulk seed), then orders that share
  // their submission instant with others, in every state the filters name, so ties are broken
  // by id across units and pages.
  const { rows: units } = await t.db.query<SeedUnit>(
    `select id::text, parent_id::text as "parentId", kind, path::text, nlevel(path) - 1 as depth, name from organisation.org_unit where tenant_id = $1 order by nlevel(path), path`, [tenantId]);
  const { rows: members } = await t.db.query<SeedMember>(
    `select id::text, org_unit_id::text as "orgUnitId", categories, reported_in_community::text as "reportedInCommunity", birth_date::text as "birthDate", stage
       from members.member where tenant_id = $1 order by id`, [tenantId]);
  const { rows: [seq] } = await t.db.query<{ last_seq: string }>(`select last_seq::text from events.counter where topic = 'organisation' and tenant_id = $1`, [tenantId]);
  const client = new pg.Client({ connectionString: t.db.adminUrl });
  await client.connect();
  try {
    await seed({ client, tenantId, seed: 7, now: clock.now(), profile: 'demo', units, members, organisationSeq: Number(seq!.last_seq), progress: () => {} });
  } finally {
    await client.end();
  }
  await t.db.query(
    `insert into services.service_order (tenant_id, unit_id, org_path, category_id, title, resident_name, channel, submitted_by, state,
       submitted_at, response_due, completion_due, updated_at)
     select u.tenant_id, u.unit_id, '', (select c.id from services.category c where c.tenant_id = u.tenant_id and c.level = 3 order by c.code limit 1),
            '同时提交', '王阿姨', 'GRID_WORKER', 'tie-test', (array['SUBMITTED', 'TRIAGED', 'POSTED', 'CANCELLED'])[1 + g % 4],
            $2::timestamptz - (g % 3) * interval '1 hour', $2::timestamptz + interval '4 hours', $2::timestamptz + interval '48 hours', $2::timestamptz
       from services.unit_path u cross join generate_series(1, 3) g
      where u.tenant_id = $1 and u.kind in ('COMMUNITY', 'GRID', 'BUILDING_GROUP')`, [tenantId, new Date(clock.now().getTime() - 86_400_000)]);
  await t.db.query(
    `insert into services.micro_wish (tenant_id, unit_id, org_path, title, resident_name, state, collected_by, collected_at, updated_at)
     select u.tenant_id, u.unit_id, '', '一套课外读物', '李奶奶', (array['COLLECTED', 'VERIFIED', 'POSTED'])[1 + (g + length(u.name)) % 3], 'wish-test',
            $2::timestamptz - ((g + length(u.name)) % 5) * interval '1 day', $2::timestamptz
       from services.unit_path u cross join generate_series(1, 2) g
      where u.tenant_id = $1 and u.kind in ('COMMUNITY', 'GRID', 'BUILDING_GROUP')`, [tenantId, clock.now()]);
  await t.db.query('analyze services.service_order; analyze services.micro_wish; analyze services.unit_path');
}, 120_000);
afterAll(async () => {
  await orm.close();
  await t.close();
});

const cityAdmin = (): Principal => ({ sub: 'page-test', tenantId, tenantSlug: 'huangshi', role: 'CITY_ADMIN', scopes: [] }) as unknown as Principal;

/**
 * Runs `f` with a request's loaders and transaction for `principal`: the split fixed by
 * `smallSubtreeRows` (undefined: the loaders' own choice).
 */
async function asPrincipal<T>(principal: Principal, smallSubtreeRows: number | undefined, f: (loaders: ReturnType<typeof createLoaders>, em: SqlEntityManager) => Promise<T>): Promise<T> {
  const em = orm.em.fork({ session: { variables: sessionVariables(principal) } }) as SqlEntityManager;
  await em.begin({ readOnly: true });
  try {
    return await f(createLoaders(em, principal, clock.now, { smallSubtreeRows }), em);
  } finally {
    await em.rollback();
  }
}
/** How each list's rows were read: every row says whether by its subtree's units or by the walk. */
const waysOf = (lists: object[][]) => lists.map((rows) => [...new Set(rows.map((r) => (r as { read_by?: ReadBy }).read_by))].join());
const orderPages = (principal: Principal, small: number | undefined, unitIds: string[], args: PageArgs) =>
  asPrincipal(principal, small, (l) => Promise.all(unitIds.map((owner) => l.unitOrders.load({ owner, args }))));
const wishLists = (principal: Principal, small: number | undefined, unitIds: string[], args: WishArgs) =>
  asPrincipal(principal, small, (l) => Promise.all(unitIds.map((owner) => l.unitWishes.load({ owner, args }))));

interface Raw { id: string; at: Date }
/** The plain path query, as the caller's policies answer it: the reference every page must equal. */
const policyOrders = (principal: Principal, unitId: string, first: number, extra = '', params: unknown[] = []) => asPrincipal(principal, undefined, (_, em) =>
  em.execute<{ id: string }[]>(
    `select o.id::text from services.service_order_view o join services.unit_path u on u.unit_id = ?
      where o.org_path <@ u.path ${extra} order by o.submitted_at desc, o.id desc limit ?`, [unitId, ...params, first + 1]));

/** The expected page straight from the rows (no policies): orders below the unit, newest first. */
async function rawOrders(unitId: string, first: number, filter = '', params: unknown[] = []): Promise<Raw[]> {
  const { rows } = await t.db.query<Raw>(
    `select o.id::text, o.submitted_at as at from services.service_order o join services.unit_path u on u.tenant_id = o.tenant_id and u.unit_id = $2
      where o.tenant_id = $1 and o.org_path <@ u.path ${filter} order by o.submitted_at desc, o.id desc limit $3`, [tenantId, unitId, first + 1, ...params]);
  return rows;
}

const ids = (p: Page) => p.rows.map((r) => r.id);
const keys = [ROOT, DISTRICT, STREET, COMMUNITY, GRID];

describe('subtree pages of service orders', () => {
  it('reading by unit ids and newest first along the tenant give the same pages, equal to the raw rows', async () => {
    const units = keys.map((k) => t.unit('huangshi', k));
    for (const first of [1, 7, 100]) {
      const byUnits = await orderPages(cityAdmin(), BY_UNITS, units, { first });
      expect(waysOf(byUnits.map((p) => p.rows))).toEqual(units.map(() => 'units'));
      const walked = await orderPages(cityAdmin(), WALK, units, { first });
      expect(waysOf(walked.map((p) => p.rows))).toEqual(units.map(() => 'walk'));
      const chosen = await orderPages(cityAdmin(), undefined, units, { first });
      // Left to itself, the loader walks the tenant's newest orders for the whole city (every
      // order is in it) and reads a grid by its units.
      expect(waysOf(chosen.map((p) => p.rows))).toEqual(expect.arrayContaining(['walk', 'units']));
      expect(waysOf(chosen.map((p) => p.rows))[0]).toBe('walk');
      expect(waysOf(chosen.map((p) => p.rows)).at(-1)).toBe('units');
      for (const [i, unit] of units.entries()) {
        const raw = await rawOrders(unit, first);
        expect(raw.length).toBeGreaterThan(1);
        expect(ids(byUnits[i]!)).toEqual(raw.slice(0, first).map((r) => r.id));
        expect(ids(walked[i]!)).toEqual(ids(byUnits[i]!));
        expect(ids(chosen[i]!)).toEqual(ids(byUnits[i]!));
        for (const p of [byUnits[i]!, walked[i]!, chosen[i]!]) expect(p.hasNextPage).toBe(raw.length > first);
      }
    }
  });

  it('a cursor and a state filter continue the same order either way, page after page', async () => {
    const unit = t.unit('huangshi', DISTRICT);
    const firstTen = await rawOrders(unit, 10);
    const after = encodeCursor({ submitted_at: firstTen[9]!.at, id: firstTen[9]!.id });
    const raw = await rawOrders(unit, 10, `and (o.submitted_at, o.id) < ($4::timestamptz, $5::uuid) and o.state = $6`, [firstTen[9]!.at, firstTen[9]!.id, 'SUBMITTED']);
    expect(raw.length).toBeGreaterThan(1);
    for (const small of [BY_UNITS, WALK, undefined]) {
      const [page] = await orderPages(cityAdmin(), small, [unit], { first: 10, after, state: 'SUBMITTED' });
      expect(ids(page!)).toEqual(raw.slice(0, 10).map((r) => r.id));
    }
    // Every order of a street, page by page with the cursor (ties on the instant included).
    const street = t.unit('huangshi', STREET);
    const all = (await rawOrders(street, 100_000)).map((r) => r.id);
    expect(all.length).toBeGreaterThan(30);
    for (const small of [BY_UNITS, WALK]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (;;) {
        const [page]: Page[] = await orderPages(cityAdmin(), small, [street], { first: 13, after: cursor });
        seen.push(...ids(page!));
        if (!page!.hasNextPage) break;
        const last = page!.rows.at(-1)!;
        cursor = encodeCursor(last);
      }
      expect(seen).toEqual(all);
    }
  });

  it('an administrator asking for a unit above their own sees their own part of it, either way', async () => {
    const street = t.unit('huangshi', STREET);
    const admin = { ...cityAdmin(), sub: 'street-admin', role: 'STREET_ADMIN', scopeUnitId: street } as Principal;
    const district = t.unit('huangshi', DISTRICT);
    const expected = (await policyOrders(admin, district, 20)).map((r) => r.id);
    expect(expected).toEqual((await rawOrders(street, 20)).map((r) => r.id));
    for (const small of [BY_UNITS, WALK, undefined]) {
      const [page] = await orderPages(admin, small, [district], { first: 20 });
      expect(ids(page!)).toEqual(expected.slice(0, 20));
      expect(page!.hasNextPage).toBe(expected.length > 20);
    }
    // A sibling street is outside the scope: nothing, either way.
    const { rows: [sibling] } = await t.db.query<{ id: string }>(
      `select unit_id::text as id from services.unit_path where tenant_id = $1 and kind = 'STREET' and unit_id <> $2 limit 1`, [tenantId, street]);
    for (const small of [BY_UNITS, WALK]) expect(await orderPages(admin, small, [sibling!.id], { first: 5 })).toEqual([{ rows: [], hasNextPage: false }]);
  });

  it('a member gets what the policies let them see, either way', async () => {
    const { rows: [m] } = await t.db.query<{ id: string; unit_id: string }>(
      `select m.id::text, m.org_unit_id::text as unit_id from members.member m
        where m.tenant_id = $1 and exists (select 1 from services.service_order o where o.tenant_id = $1 and o.provider_member_id = m.id)
        order by (select count(*) from services.service_order o where o.tenant_id = $1 and o.provider_member_id = m.id) desc, m.id limit 1`, [tenantId]);
    const member = { sub: `member-${m!.id}`, tenantId, tenantSlug: 'huangshi', role: 'MEMBER', memberId: m!.id, scopeUnitId: m!.unit_id, scopes: [] } as unknown as Principal;
    for (const key of [ROOT, DISTRICT]) {
      const unit = t.unit('huangshi', key);
      const expected = (await policyOrders(member, unit, 50)).map((r) => r.id);
      expect(expected.length).toBeGreaterThan(0);
      for (const small of [BY_UNITS, WALK, undefined]) {
        const [page] = await orderPages(member, small, [unit], { first: 50 });
        expect(ids(page!)).toEqual(expected.slice(0, 50));
      }
    }
  });

  it('a unit that is not in the tree, or not a unit id, has an empty page', async () => {
    for (const small of [BY_UNITS, WALK]) {
      expect(await orderPages(cityAdmin(), small, ['00000000-0000-4000-8000-000000000000', 'nope'], { first: 5 }))
        .toEqual([{ rows: [], hasNextPage: false }, { rows: [], hasNextPage: false }]);
    }
  });

  it('costs one statement for the pages of 4 units as for 1, whatever the way', async () => {
    const many = [ROOT, DISTRICT, STREET, COMMUNITY].map((k) => t.unit('huangshi', k));
    for (const small of [BY_UNITS, WALK, undefined]) {
      const statements = async (units: string[]) => asPrincipal(cityAdmin(), small, async (l) => {
        const before = sqlCounter.total;
        await Promise.all(units.map((owner) => l.unitOrders.load({ owner, args: { first: 5 } })));
        return sqlCounter.total - before;
      });
      expect(await statements(many)).toBe(1);
      expect(await statements(many.slice(0, 1))).toBe(1);
    }
  });
});

describe('subtree lists of micro-wishes', () => {
  async function rawWishes(unitId: string, first: number, state?: string) {
    const { rows } = await t.db.query<{ id: string }>(
      `select w.id::text from services.micro_wish w join services.unit_path u on u.tenant_id = w.tenant_id and u.unit_id = $2
        where w.tenant_id = $1 and w.org_path <@ u.path ${state ? 'and w.state = $4' : ''} order by w.collected_at desc, w.id desc limit $3`,
      state ? [tenantId, unitId, first, state] : [tenantId, unitId, first]);
    return rows.map((r) => r.id);
  }

  it('reading by unit ids and newest first give the same lists, equal to the raw rows, with and without a state', async () => {
    const units = keys.map((k) => t.unit('huangshi', k));
    for (const args of [{ first: 3 }, { first: 200 }, { first: 5, state: 'POSTED' as const }]) {
      const byUnits = await wishLists(cityAdmin(), BY_UNITS, units, args);
      expect(waysOf(byUnits)).toEqual(units.map(() => 'units'));
      const walked = await wishLists(cityAdmin(), WALK, units, args);
      expect(waysOf(walked)).toEqual(units.map(() => 'walk'));
      for (const [i, unit] of units.entries()) {
        const raw = await rawWishes(unit, args.first, args.state);
        expect(raw.length).toBeGreaterThan(0);
        expect(byUnits[i]!.map((w) => w.id)).toEqual(raw);
        expect(walked[i]!.map((w) => w.id)).toEqual(raw);
      }
    }
  });

  it('Query.microWishes answers the same list through the gateway', async () => {
    const admin = await t.token('huangshi', 'CITY_ADMIN');
    const unit = t.unit('huangshi', STREET);
    const d = await ok<{ microWishes: { id: string; state: string }[] }>(t.url, admin,
      'query($u: ID!) { microWishes(unitId: $u, state: VERIFIED, first: 4) { id state } }', { u: unit });
    expect(d.microWishes.map((w) => w.id)).toEqual(await rawWishes(unit, 4, 'VERIFIED'));
    expect(d.microWishes.every((w) => w.state === 'VERIFIED')).toBe(true);
  });
});

describe('every way is read by index for the service role under the row policies', () => {
  /**
   * The plan of a read as the services role with a city administrator's session. Scans are
   * switched off, and where the question is the walk, bitmap scans and sorts too: whether an
   * index can serve the read at all under the policies, not what the planner prefers on demo data.
   */
  const plan = (sql: string, params: unknown[], off: string[]) =>
    planAsRole(t.db.appUrl('services'), cityAdmin(), sql, params, ['enable_seqscan', 'enable_hashjoin', 'enable_mergejoin', ...off]);


  it('the units of a subtree are a range of the path index', async () => {
    const { rows: [u] } = await t.db.query<{ key: string }>('select path::text as key from services.unit_path where unit_id = $1', [t.unit('huangshi', STREET)]);
    const p = await plan(
      `select d.unit_id from services.unit_path d where d.tenant_id = platform.current_tenant() and d.path_key >= $1 and d.path_key < $1 || '/' and d.path <@ $1::ltree`, [u!.key], []);
    expect(p).toMatch(/Index (Only )?Scan (using|on) unit_path_key .*\n\s+Index Cond: .*path_key >= /);
  });

  it('orders and wishes by unit ids are read from the unit index, a page per unit', async () => {
    const { rows } = await t.db.query<{ id: string }>(`select unit_id::text as id from services.unit_path where tenant_id = $1 and kind = 'GRID' limit 5`, [tenantId]);
    const units = `{${rows.map((r) => r.id).join(',')}}`;
    for (const [view, at, index] of [['service_order_view', 'submitted_at', 'service_order_unit'], ['micro_wish_view', 'collected_at', 'micro_wish_unit']] as const) {
      const p = await plan(`select p.* from unnest($1::uuid[]) as u(unit_id)
          cross join lateral (select x.id, x.${at} as sort_at from services.${view} x
                               where x.tenant_id = platform.current_tenant() and x.unit_id = u.unit_id and x.state = 'POSTED'
                               order by x.${at} desc, x.id desc limit 21) p
         order by p.sort_at desc, p.id desc limit 21`, [units], []);
      expect(p).toMatch(new RegExp(String.raw`Index Scan using ${index} .*\n\s+Index Cond: .*unit_id = u\.unit_id`));
    }
  });

  it('the newest-first walk takes the cursor and the state as index conditions', async () => {
    const { rows: [u] } = await t.db.query<{ key: string }>('select path::text as key from services.unit_path where unit_id = $1', [t.unit('huangshi', DISTRICT)]);
    const walk = (view: string, at: string, extra: string) => `select x.id from services.${view} x
      where x.tenant_id = platform.current_tenant() and ltree_risparent(x.org_path, $1::ltree) ${extra} order by x.${at} desc, x.id desc limit 21`;
    const cursor = [u!.key, clock.now(), '00000000-0000-4000-8000-000000000000'];
    expect(await plan(walk('service_order_view', 'submitted_at', 'and (x.submitted_at, x.id) < ($2::timestamptz, $3::uuid)'), cursor, ['enable_bitmapscan', 'enable_sort']))
      .toMatch(/Index Scan using service_order_newest .*\n\s+Index Cond: .*ROW\(submitted_at, id\) < ROW/);
    expect(await plan(walk('service_order_view', 'submitted_at', `and x.state = 'POSTED' and (x.submitted_at, x.id) < ($2::timestamptz, $3::uuid)`), cursor, ['enable_bitmapscan', 'enable_sort']))
      .toMatch(/Index Scan using service_order_state_newest .*\n\s+Index Cond: .*state = 'POSTED'.*ROW\(submitted_at, id\) < ROW/);
    expect(await plan(walk('micro_wish_view', 'collected_at', ''), [u!.key], ['enable_bitmapscan', 'enable_sort']))
      .toMatch(/Index Scan using micro_wish_newest /);
    expect(await plan(walk('micro_wish_view', 'collected_at', `and x.state = 'POSTED'`), [u!.key], ['enable_bitmapscan', 'enable_sort']))
      .toMatch(/Index Scan using micro_wish_state_newest .*\n\s+Index Cond: .*state = 'POSTED'/);
  });
});
