// The generator and the benchmark harness on the small profile: seeding is deterministic and
// leaves events, cursors and rollups consistent; one short harness run writes a results file of
// the documented shape whose dashboard equals an aggregate over raw rows.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@trellis/platform/testkit/index.ts';
import { generateMembers } from '@trellis/members/seed.ts';
import { seedProfile, type SeedReport } from '../src/seed/driver.ts';
import { generateTree } from '../src/seed/tree.ts';
import { profiles } from '../src/seed/profiles.ts';
import { runBench, type BenchResults } from '../../bench/src/run.ts';
import { naiveDashboard } from '../../bench/src/naive.ts';

const NOW = new Date('2026-06-15T08:00:00Z');
let db: TestDatabase;
let report: SeedReport;

beforeAll(async () => {
  db = await createTestDatabase();
  report = await seedProfile({ adminUrl: db.adminUrl, appPassword: db.appPassword, profile: 'demo', seed: 7, now: NOW });
}, 120_000);
afterAll(async () => { await db.drop(); });

/** Generated member rows without the ciphertext (encryption uses a fresh IV every time, by design). */
function members(seed: number) {
  const shape = profiles.demo.tenants[0]!;
  const { units } = generateTree(shape, seed);
  const input = { tenantId: '7b0c3f7e-3c1a-4a55-9d54-3f1d2a6b9c01', seed, now: NOW, profile: 'demo' as const, units, members: [], organisationSeq: 0, progress: () => {}, memberCount: 300 };
  return [...generateMembers(input)].map((line) => line.split('\t').filter((_, i) => i !== 8));
}

describe('bulk generator', () => {
  it('gives the same tree and the same people for the same seed, different ones for another seed', () => {
    const shape = profiles.demo.tenants[0]!;
    expect(generateTree(shape, 3).units).toEqual(generateTree(shape, 3).units);
    expect(generateTree(shape, 4).units).not.toEqual(generateTree(shape, 3).units);
    expect(members(3)).toEqual(members(3));
    expect(members(4)).not.toEqual(members(3));
  });

  it('seeds three tenants whose unit rollup, event stream and member cursors agree with the raw rows', async () => {
    expect(report.tenants).toHaveLength(3);
    for (const t of report.tenants) {
      const units = await db.query<{ n: number }>('select count(*)::int as n from organisation.org_unit where tenant_id = $1', [t.id]);
      expect(units.rows[0]!.n).toBe(t.units);
      const people = await db.query<{ n: number }>('select count(*)::int as n from members.member where tenant_id = $1', [t.id]);
      expect(people.rows[0]!.n).toBe(t.members);
      // Rollup = a direct count of active descendants per (ancestor, kind).
      const diff = await db.query<{ n: number }>(
        `with direct as (
           select a.id as ancestor_id, u.kind, count(*)::int as count from organisation.org_unit a
             join organisation.org_unit u on u.tenant_id = a.tenant_id and u.path <@ a.path and u.id <> a.id and u.status = 'ACTIVE'
            where a.tenant_id = $1 group by 1, 2)
         select count(*)::int as n from direct d full join (select * from organisation.unit_count_rollup where tenant_id = $1 and count <> 0) r
           on r.ancestor_id = d.ancestor_id and r.kind = d.kind where d.count is distinct from r.count`, [t.id]);
      expect(diff.rows[0]!.n).toBe(0);
      // One org_unit.changed per unit; the members copy and both cursors stand at the stream's end.
      const seq = await db.query<{ counter: string; events: number; cursor: string; subscription: string; paths: number; stale: number }>(
        `select (select last_seq from events.counter where topic = 'organisation' and tenant_id = $1)::text as counter,
                (select count(*)::int from events.stream where topic = 'organisation' and tenant_id = $1) as events,
                (select last_seq from members.unit_event_cursor where tenant_id = $1)::text as cursor,
                (select last_seq from events.subscription where subscriber = 'members' and topic = 'organisation' and tenant_id = $1)::text as subscription,
                (select count(*)::int from members.unit_path where tenant_id = $1) as paths,
                (select count(*)::int from members.member m join members.unit_path u on u.tenant_id = m.tenant_id and u.unit_id = m.org_unit_id
                  where m.tenant_id = $1 and m.org_path <> u.path) as stale`, [t.id]);
      expect(seq.rows[0]).toEqual({ counter: String(t.units), events: t.units, cursor: String(t.units), subscription: String(t.units), paths: t.units, stale: 0 });
    }
  });

  it('leaves the members summaries equal to a direct aggregate and this year’s dues collected at 90–98 %', async () => {
    for (const t of report.tenants) {
      // Every (ancestor, dimension, key) count over the ancestor's subtree, from the raw members and dues rows.
      const diff = await db.query<{ n: number }>(
        `with m as (select * from members.member where tenant_id = $1 and membership_status = 'ACTIVE'),
              facts as (
                select org_path as path, 'stage' as dim, stage as key from m
                union all select org_path, 'category', c from m, unnest(categories) c where stage in ('PROBATIONARY', 'FULL')
                union all select org_path, 'flag', f from m, unnest(flags) f where stage in ('PROBATIONARY', 'FULL')
                union all select org_path, 'education', education from m where stage in ('PROBATIONARY', 'FULL')
                -- birth dates count at the ancestors of the member's unit (its own members are read by unit)
                union all select subpath(org_path, 0, nlevel(org_path) - 1), 'birthMonth', to_char(birth_date, 'YYYY-MM') from m where stage in ('PROBATIONARY', 'FULL') and nlevel(org_path) > 1
                union all select subpath(org_path, 0, nlevel(org_path) - 1), 'birthDay', to_char(birth_date, 'YYYY-MM-DD') from m where stage in ('PROBATIONARY', 'FULL') and nlevel(org_path) > 1
                union all select u.path, 'reportedIn', '' from m join members.unit_path u on u.tenant_id = m.tenant_id and u.unit_id = m.reported_in_community
                           where m.stage in ('PROBATIONARY', 'FULL') and 'IN_SERVICE' = any(m.categories)
                union all select org_path, 'duesFrom', to_char(from_month, 'YYYY-MM') from members.dues_account where tenant_id = $1 and monthly_amount > 0
                union all select m.org_path, 'duesPaid', to_char(p.month, 'YYYY-MM') from members.dues_payment p join m on m.id = p.member_id where p.tenant_id = $1),
              direct as (select u.unit_id as ancestor_id, f.dim, f.key, count(*)::int as count
                           from facts f join members.unit_path u on u.tenant_id = $1 and f.path <@ u.path group by 1, 2, 3)
         select count(*)::int as n from direct d full join (
             select ancestor_id, dim, key, count from members.member_rollup where tenant_id = $1 and count <> 0
             -- a birth month's days, as the birth days they count
             union all select r.ancestor_id, 'birthDay', r.key || '-' || lpad(x.day::text, 2, '0'), x.n
                         from members.member_rollup r, unnest(r.days) with ordinality as x(n, day) where r.tenant_id = $1 and r.dim = 'birthMonth' and x.n <> 0) r
           on r.ancestor_id = d.ancestor_id and r.dim = d.dim and r.key = d.key where d.count is distinct from r.count`, [t.id]);
      expect(diff.rows[0]!.n).toBe(0);
      const reported = await db.query<{ n: number }>(
        `with direct as (select reported_in_community as community_id, count(*)::int as count from members.member
                          where tenant_id = $1 and reported_in_community is not null and stage in ('PROBATIONARY', 'FULL') and membership_status = 'ACTIVE' group by 1)
         select count(*)::int as n from direct d full join (select * from members.member_reported_in where tenant_id = $1 and count <> 0) r
           on r.community_id = d.community_id where d.count is distinct from r.count`, [t.id]);
      expect(reported.rows[0]!.n).toBe(0);
      const rate = await db.query<{ owed: number; paid: number }>(
        `select (select sum(extract(month from $2::date) - extract(month from from_month) + 1)::int from members.dues_account where tenant_id = $1 and monthly_amount > 0) as owed,
                (select count(*)::int from members.dues_payment where tenant_id = $1 and month <= $2::date) as paid`, [t.id, NOW.toISOString().slice(0, 10)]);
      expect(rate.rows[0]!.paid / rate.rows[0]!.owed).toBeGreaterThan(0.9);
      expect(rate.rows[0]!.paid / rate.rows[0]!.owed).toBeLessThan(0.98);
    }
  });

  it('gives members realistic proportions: mostly full members, a few percent probationary, many retired', async () => {
    const t = report.tenants[0]!;
    const r = await db.query<{ full: number; probationary: number; retired: number; total: number; reported_ok: number; reported: number }>(
      `select count(*) filter (where stage = 'FULL')::int as full, count(*) filter (where stage = 'PROBATIONARY')::int as probationary,
              count(*) filter (where 'RETIRED' = any(categories))::int as retired, count(*)::int as total,
              count(*) filter (where reported_in_community is not null and 'IN_SERVICE' = any(categories))::int as reported_ok,
              count(*) filter (where reported_in_community is not null)::int as reported
         from members.member where tenant_id = $1`, [t.id]);
    const x = r.rows[0]!;
    expect(x.full / x.total).toBeGreaterThan(0.85);
    expect(x.probationary / x.total).toBeGreaterThan(0.01);
    expect(x.probationary / x.total).toBeLessThan(0.06);
    expect(x.retired / x.total).toBeGreaterThan(0.3);
    expect(x.reported).toBeGreaterThan(0);
    expect(x.reported_ok).toBe(x.reported);
  });
});

describe('benchmark harness', () => {
  let dir: string;
  let results: BenchResults;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'trellis-bench-'));
    ({ results, file } = await runBench({
      adminUrl: db.adminUrl, appPassword: db.appPassword, profile: 'demo', scenarios: ['dashboard'], durationSeconds: 1, connections: 2, resultsDir: dir, today: '2026-06-15',
    }));
  }, 180_000);
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('writes a results file with per-scenario latency, throughput, memory per service and both comparisons', async () => {
    const saved = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
    expect(saved).toEqual(results);
    expect(saved.profile).toBe('demo');
    expect(saved.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(saved.machine.cores).toBeGreaterThan(0);
    expect(saved.principals.count).toBeGreaterThanOrEqual(20);
    expect(saved.principals.tenants).toBe(3);
    expect(Object.keys(saved.principals.roles).sort()).toEqual(['CITY_ADMIN', 'DISTRICT_ADMIN', 'STREET_ADMIN']);
    expect(saved.settings).toMatchObject({ inboundDeduplication: false, responseCache: false });
    expect(saved.runs.map((r) => [r.scenario, r.connections, r.backgroundWrites])).toEqual([['dashboard', 1, false], ['dashboard', 2, false], ['dashboard', 2, true]]);
    for (const r of saved.runs) {
      expect(r.requests).toBeGreaterThan(0);
      expect(r.errors + r.non2xx).toBe(0);
      expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50);
      expect(r.rps).toBeGreaterThan(0);
    }
    expect(Object.keys(saved.memory).sort()).toEqual(['assessment', 'gateway', 'members', 'organisation', 'services']);
    for (const m of Object.values(saved.memory)) expect(m!.peakMb).toBeGreaterThan(10);
    expect(saved.comparisons.naiveVsPlatform!.ratio).toBeGreaterThan(0);
    expect(saved.comparisons.gatewayOverhead!.directRps).toBeGreaterThan(0);
    expect(saved.goals.dashboardP95Ms.goal).toBe(30);
    // Write → dashboard timing: every write kind sampled and seen (no timing asserted).
    expect(new Set(saved.visibility!.samples.map((x) => x.write))).toEqual(new Set(['new member', 'order closed', 'grid moved (members follow)']));
    for (const x of saved.visibility!.samples) expect(x.visible).toBe(true);
  });

  it('reports a dashboard equal to a direct aggregate over the raw rows', async () => {
    expect(results.dashboardMismatches).toEqual([]);
    expect(results.dashboardMatchesRawRows).toBe(true);
    // The reference itself against plain counts: the districts hold every party member of the tenant.
    const t = report.tenants[0]!;
    const client = new pg.Client({ connectionString: db.adminUrl });
    await client.connect();
    try {
      const figures = await naiveDashboard(client, t.id, t.districtIds[0]!, ['STREET']);
      const party = (await client.query<{ n: number }>(`select count(*)::int as n from members.member where tenant_id = $1 and stage in ('PROBATIONARY', 'FULL')`, [t.id])).rows[0]!.n;
      const inDistricts = Object.values(figures.districts).reduce((s, d) => s + d.members.total, 0);
      const onRoot = (await client.query<{ n: number }>(
        `select count(*)::int as n from members.member m join organisation.org_unit u on u.id = m.org_unit_id
          where m.tenant_id = $1 and u.kind not in ('DISTRICT') and u.depth = 0 and m.stage in ('PROBATIONARY', 'FULL')`, [t.id])).rows[0]!.n;
      expect(inDistricts + onRoot).toBe(party);
      expect(Object.keys(figures.districts)).toHaveLength(profiles.demo.tenants[0]!.districts);
      // Orders and assessment targets of the districts add up to the tenant's (none hang off the city root).
      const orders = (await client.query<{ n: number }>(`select count(*)::int as n from services.service_order where tenant_id = $1`, [t.id])).rows[0]!.n;
      const inDistrictOrders = Object.values(figures.districts).reduce((s, d) => s + Object.values(d.services.ordersByState).reduce((a, b) => a + b, 0), 0);
      expect(inDistrictOrders).toBe(orders);
      const targets = (await client.query<{ n: number }>(`select count(*)::int as n from assessment.target where tenant_id = $1`, [t.id])).rows[0]!.n;
      expect(Object.values(figures.districts).reduce((s, d) => s + (d.assessment?.targets ?? 0), 0)).toBe(targets);
    } finally {
      await client.end();
    }
  });
});
