// The city dashboard on a district of 50,000 members stays exact under writes: after a burst of
// random writes through the gateway — new members, dues paid, done orders rated and closed,
// assessment results finalised, a grid moved to another street — and the event followers'
// catch-up, every figure of the dashboard equals a direct aggregate over the raw rows.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DEV_JWT_SECRET, createLogger, signUserToken, type Principal } from '@trellis/platform';
import { createTestDatabase, gql, testInternalKeys, type TestDatabase } from '@trellis/platform/testkit/index.ts';
import { startStack, type RunningStack } from '../src/stack.ts';
import { seedProfile, type SeededTenant } from '../src/seed/driver.ts';
import { mulberry32, pick } from '@trellis/platform/seed/prng.ts';
import { idNumbers } from '../../bench/src/scenarios.ts';
import { dashboardFigures, differences, naiveDashboard, type DashboardData, type DashboardFigures } from '../../bench/src/naive.ts';
import { readFileSync } from 'node:fs';

const NOW = new Date('2026-06-15T08:00:00Z');
const tokens = { issuer: 'trellis-test', audience: 'trellis', secret: DEV_JWT_SECRET };
const DASHBOARD = readFileSync(new URL('../../bench/operations/dashboard.graphql', import.meta.url), 'utf8');

let db: TestDatabase;
let stack: RunningStack;
let admin: pg.Client;
let tenant: SeededTenant;
const now = NOW;

beforeAll(async () => {
  db = await createTestDatabase();
  const report = await seedProfile({ adminUrl: db.adminUrl, appPassword: db.appPassword, profile: 'district', seed: 5, now: NOW });
  tenant = report.tenants[0]!;
  stack = await startStack({
    adminUrl: db.adminUrl, appPassword: db.appPassword, internalKeys: testInternalKeys(), userTokens: tokens,
    log: createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent'), clock: () => now, followEvents: false,
  });
  admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
}, 240_000);
afterAll(async () => {
  await admin?.end();
  await stack?.close();
  await db?.drop();
});

const token = (role: Principal['role'], scopeUnitId?: string) =>
  signUserToken(tokens, { sub: `test-${role.toLowerCase()}`, tenantId: tenant.id, tenantSlug: tenant.slug, role, scopeUnitId, scopes: [] });

async function catchUp() {
  let n = 0;
  for (let round = 0; round < 5; round++) {
    let got = 0;
    for (const sg of stack.subgraphs) for (const f of Object.values(sg.followers)) got += await f.catchUp();
    n += got;
    if (got === 0) break;
  }
  return n;
}

async function compare(tok: string, district: string): Promise<{ platform: DashboardFigures; raw: DashboardFigures }> {
  const r = await gql<DashboardData>(stack.gateway.url, tok, DASHBOARD, { district, drillKinds: ['STREET'] });
  expect(r.errors).toBeUndefined();
  return { platform: dashboardFigures(r.data!), raw: await naiveDashboard(admin, tenant.id, district, ['STREET'], now) };
}

describe('dashboard on the district profile', () => {
  it('equals the raw-row aggregate after the seed', async () => {
    const district = tenant.districtIds[0]!;
    const { platform, raw } = await compare(await token('CITY_ADMIN'), district);
    expect(differences(platform, raw)).toEqual([]);
    // The figures are not trivially empty: every part of the dashboard has data.
    const d = platform.districts[district]!;
    expect(d.members.total).toBeGreaterThan(40_000);
    expect(d.members.duesCollectionRate).not.toBeNull();
    expect(d.members.inServiceReportedIn).toBeGreaterThan(0);
    expect(d.services.ordersByState.CLOSED).toBeGreaterThan(10_000);
    expect(d.assessment!.byState.NOTICE!.count).toBeGreaterThan(0);
    expect(Object.keys(platform.drillDown).length).toBeGreaterThanOrEqual(6);
  });

  it('equals the raw-row aggregate after a burst of random writes through the gateway and the followers catching up', async () => {
    const r = mulberry32(99);
    const district = tenant.districtIds[0]!;
    const city = await token('CITY_ADMIN');
    const districtAdmin = await token('DISTRICT_ADMIN', district);
    const url = stack.gateway.url;
    const q = async (sql: string, params: unknown[]) => (await admin.query(sql, [tenant.id, ...params])).rows;

    const grids = (await q(`select id::text from organisation.org_unit where tenant_id = $1 and kind = 'GRID' order by id`, [])).map((x) => x.id as string);
    const communities = (await q(`select id::text, parent_id::text as street from organisation.org_unit where tenant_id = $1 and kind = 'COMMUNITY' order by id`, []))
      .map((x) => ({ id: x.id as string, street: x.street as string }));
    const done = (await q(`select id::text from services.service_order where tenant_id = $1 and state = 'DONE' order by id limit 60`, [])).map((x) => x.id as string);
    const notice = (await q(`select id::text from assessment.target where tenant_id = $1 and state = 'NOTICE' order by id limit 25`, [])).map((x) => x.id as string);
    const payers = (await q(
      `select m.id::text, to_char(a.from_month, 'YYYY-MM') as from from members.member m join members.dues_account a on a.tenant_id = m.tenant_id and a.member_id = m.id
        where m.tenant_id = $1 and a.monthly_amount > 0 and a.from_month <= '2026-06-01' and not exists (select 1 from members.dues_payment p where p.tenant_id = m.tenant_id and p.member_id = m.id and p.month = '2026-06-01')
        order by m.id limit 20`, [])).map((x) => x.id as string);
    expect(done.length).toBeGreaterThan(30);
    expect(notice.length).toBeGreaterThan(10);

    const before = (await compare(city, district)).platform;
    const nextId = idNumbers();
    const writes: (() => Promise<{ errors?: unknown[] }>)[] = [];
    for (let i = 0; i < 40; i++) {
      const stage = r() < 0.2 ? 'PROBATIONARY' : 'FULL';
      const inService = r() < 0.5;
      writes.push(() => gql(url, city, 'mutation($input: CreateMemberInput!) { createMember(input: $input) { id } }', { input: {
        orgUnitId: pick(r, grids), name: `新党员${i}`, idCardNumber: nextId(), education: 'BACHELOR', stage,
        stageSince: stage === 'FULL' ? '2021-07-01' : '2026-03-01', joinedOn: stage === 'FULL' ? '2020-07-01' : null,
        categories: inService ? ['IN_SERVICE'] : ['RETIRED'], reportedInCommunityId: inService ? pick(r, communities).id : null,
      } }));
    }
    for (const id of done) writes.push(() => gql(url, city, 'mutation($id: ID!, $rating: Int!) { rateOrder(id: $id, rating: $rating) { id } }', { id, rating: 1 + Math.floor(r() * 5) }));
    for (const id of notice) writes.push(() => gql(url, districtAdmin, 'mutation($id: ID!) { finaliseAssessment(targetId: $id) { id } }', { id }));
    for (const id of payers) writes.push(() => gql(url, city, 'mutation($id: ID!, $input: DuesPaymentInput!) { recordDuesPayment(memberId: $id, input: $input) { id } }', { id, input: { months: ['2026-06'], paidOn: '2026-06-14' } }));
    // Random order, a few at a time, as people work in parallel.
    for (let i = writes.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [writes[i], writes[j]] = [writes[j]!, writes[i]!]; }
    for (let i = 0; i < writes.length; i += 6) {
      const results = await Promise.all(writes.slice(i, i + 6).map((w) => w()));
      for (const x of results) expect(x.errors).toBeUndefined();
    }

    // A grid moves to a community of another street, with its building groups, members, dues and
    // orders: the members and services copies of the tree learn of it from the event stream.
    // (Grids are numbered per community: the grid's name must be free under its new parent.)
    const [pair] = await q(
      `select g.id::text as grid, c2.id::text as community, c2.parent_id::text as street
         from organisation.org_unit g join organisation.org_unit c on c.id = g.parent_id
         join organisation.org_unit c2 on c2.tenant_id = g.tenant_id and c2.kind = 'COMMUNITY' and c2.parent_id <> c.parent_id
        where g.tenant_id = $1 and g.kind = 'GRID' and not exists (select 1 from organisation.org_unit x where x.parent_id = c2.id and x.name = g.name)
        order by g.id, c2.id limit 1`, []);
    const grid = pair!.grid as string;
    const target = { id: pair!.community as string, street: pair!.street as string };
    const move = await gql(url, city, 'mutation($id: ID!, $to: ID!) { moveOrgUnit(id: $id, newParentId: $to) { id } }', { id: grid, to: target.id });
    expect(move.errors).toBeUndefined();

    await catchUp();
    const after = await compare(city, district);
    expect(differences(after.platform, after.raw)).toEqual([]);
    // The writes show: results finalised, the moved grid counted under its new street.
    const d = after.platform.districts[district]!;
    expect(d.assessment!.byState.FINAL!.count).toBeGreaterThanOrEqual(notice.length);
    expect(after.platform.drillDown[target.street]!.units.GRID).toBe(before.drillDown[target.street]!.units.GRID! + 1);
    // A district administrator sees the same district figures.
    const scoped = await compare(districtAdmin, district);
    expect(differences(scoped.platform, scoped.raw)).toEqual([]);
  }, 90_000);
});
