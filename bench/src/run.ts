// The benchmark harness: starts the platform on a seeded database, checks the dashboard against
// raw rows, runs the scenarios with autocannon (one client for latency, N clients for
// throughput, and the dashboard again under a background write load), compares with the naive
// SQL and with calling a subgraph directly, and writes bench/results/<date>.json.
import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { createInternalSigner, type Principal } from '@trellis/platform';
import { profileByName, type ProfileName } from '@trellis/infra/seed/profiles.ts';
import { benchPrincipals, type BenchPrincipal } from './principals.ts';
import { memoryOf, startPlatform, type RunningPlatform } from './platform.ts';
import { dashboardFigures, differences, naiveDashboard, sortKeys, type DashboardData } from './naive.ts';
import { idNumbers, scenarios as allScenarios, unitCountsQuery, type Scenario } from './scenarios.ts';
import { measureVisibility, type Visibility } from './visibility.ts';
import { cpuPerOperation, cpuSnapshot, postmasterOf } from './cpu.ts';

export interface BenchOptions {
  adminUrl: string;
  appPassword: string;
  profile: ProfileName;
  /** Scenario names or ['all']. */
  scenarios: string[];
  durationSeconds: number;
  connections: number;
  resultsDir: string;
  log?: (m: string) => void;
  /** Today's date for generated inputs (tests pin it). */
  today?: string;
  /** Rounds of the write → dashboard timing (default 5; 0 skips it). */
  visibilityRounds?: number;
}

export interface Run { scenario: string; connections: number; backgroundWrites: boolean; seconds: number; requests: number; errors: number; non2xx: number; rps: number; latencyMs: { p50: number; p95: number; p99: number; mean: number; max: number }; sqlPerOperation: number | null;
  /** CPU milliseconds per completed operation in each process (gateway, subgraphs, postgres, bench = the load generator). */
  cpuMsPerOperation: Record<string, number> }
export interface BenchResults {
  date: string;
  commit: string;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; postgres: string };
  profile: ProfileName;
  settings: { inboundDeduplication: boolean; subgraphRequestDeduplication: string; warmUp: string; responseCache: boolean; statisticsCache: string; sqlCounting: string };
  principals: { count: number; tenants: number; roles: Record<string, number> };
  dashboardMatchesRawRows: boolean;
  /** Figures that differ from the raw-row aggregate (path: platform ≠ raw), empty when it matches. */
  dashboardMismatches: string[];
  /** Time from a write's response to the dashboard showing it, followers running in the background. */
  visibility: Visibility | null;
  runs: Run[];
  comparisons: {
    naiveVsPlatform: { naiveMs: { p50: number; p95: number }; platformMs: { p50: number; p95: number }; ratio: number } | null;
    gatewayOverhead: { directMs: { p50: number; p95: number }; gatewayMs: { p50: number; p95: number }; directRps: number; gatewayRps: number; latencyRatio: number; throughputRatio: number } | null;
  };
  memory: Record<string, { peakMb: number; rssMb: number } | null>;
  goals: {
    dashboardP95Ms: { goal: number; measured: number | null; met: boolean | null };
    dashboardRps32: { goal: number; measured: number | null; met: boolean | null };
    serviceRssMb: { goal: number; measured: number | null; met: boolean | null };
    writeVisibleMs: { goal: number; measured: number | null; met: boolean | null };
  };
}

const percentile = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function gql(url: string, auth: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** SQL statements run by the services' roles since the last reset (pg_stat_statements), or null where it is not loaded. */
class SqlCounter {
  private client: pg.Client;
  available = false;
  constructor(adminUrl: string) { this.client = new pg.Client({ connectionString: adminUrl }); }
  async open() {
    await this.client.connect();
    try {
      await this.client.query('create extension if not exists pg_stat_statements');
      await this.client.query('select pg_stat_statements_reset()');
      this.available = true;
    } catch { this.available = false; }
  }
  async reset() { if (this.available) await this.client.query('select pg_stat_statements_reset()'); }
  async count(): Promise<number | null> {
    if (!this.available) return null;
    const r = await this.client.query<{ n: string }>(
      `select coalesce(sum(calls), 0)::text as n from pg_stat_statements s join pg_roles r on r.oid = s.userid where r.rolname like 'trellis\\_%'`);
    return Number(r.rows[0]!.n);
  }
  close() { return this.client.end(); }
}

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    // A slow operation is measured, not cut off at autocannon's default 10 s timeout.
    autocannon({ timeout: 60, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function requestsFor(s: Scenario, principals: BenchPrincipal[]): autocannon.Request[] {
  let i = 0;
  return principals.filter((p) => s.applies?.(p) ?? true).map((p) => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}` },
    ...(s.write
      ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(s.request ? s.request(p, i++) : { query: s.query, variables: s.variables(p, i++) }) }) }
      : { body: JSON.stringify({ query: s.query, variables: s.variables(p, 0) }) }),
  }));
}

/** Times `n` calls of `f` one after another (milliseconds). */
async function timeSerial(n: number, f: () => Promise<unknown>) {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return { p50: round(percentile(ms, 50)), p95: round(percentile(ms, 95)) };
}

export async function runBench(o: BenchOptions): Promise<{ results: BenchResults; file: string }> {
  const log = o.log ?? (() => {});
  const today = o.today ?? new Date().toISOString().slice(0, 10);
  const profile = profileByName(o.profile);
  const catalogue = allScenarios(today);
  const chosen = o.scenarios.includes('all') ? catalogue : o.scenarios.map((n) => {
    const s = catalogue.find((c) => c.name === n);
    if (!s) throw new Error(`unknown scenario "${n}"; one of ${catalogue.map((c) => c.name).join(', ')}, all`);
    return s;
  });
  const principals = await benchPrincipals(o.adminUrl, profile.tenants.map((t) => t.slug));
  const counter = new SqlCounter(o.adminUrl);
  await counter.open();
  let platform: RunningPlatform | undefined;
  const admin = new pg.Client({ connectionString: o.adminUrl });
  await admin.connect();
  try {
    log(`starting the platform (${principals.length} principals over ${profile.tenants.length} tenants)`);
    platform = await startPlatform({ adminUrl: o.adminUrl, appPassword: o.appPassword });
    const url = platform.gatewayUrl;
    const { origin } = new URL(url);

    // Requests must succeed before anything is timed: one principal of each role in each tenant
    // (every principal when the whole check is cheap: the demo profile).
    const sample = o.profile === 'demo' ? principals : principals.filter((p, i) => principals.findIndex((x) => x.tenantId === p.tenantId && x.role === p.role) === i);
    for (const s of chosen) {
      for (const p of sample.filter((x) => s.applies?.(x) ?? true)) {
        const r = await gql(url, `Bearer ${p.token}`, s.query, s.variables(p, 0));
        if (r.errors?.length) throw new Error(`${s.name} fails for ${p.label}: ${r.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ')}`);
      }
    }

    // The dashboard equals a direct aggregate over raw rows (a city admin of the main tenant).
    const cityAdmin = principals.find((p) => p.role === 'CITY_ADMIN')!;
    const dashboard = catalogue.find((c) => c.name === 'dashboard')!;
    const viaPlatform = await gql(url, `Bearer ${cityAdmin.token}`, dashboard.query, dashboard.variables(cityAdmin, 0));
    const fromRows = await naiveDashboard(admin, cityAdmin.tenantId, cityAdmin.focusUnitId, cityAdmin.drillKinds);
    const platformFigures = dashboardFigures(viaPlatform.data as DashboardData);
    const matches = JSON.stringify(sortKeys(platformFigures)) === JSON.stringify(sortKeys(fromRows));
    const mismatches = differences(platformFigures, fromRows);
    log(`dashboard equals the raw-row aggregate: ${matches}${mismatches.length ? ` (${mismatches.length} figures differ, e.g. ${mismatches.slice(0, 3).join('; ')})` : ''}`);

    // Write → dashboard: before the load runs, while the pools of done orders and notices are full.
    let visibility: Visibility | null = null;
    if (o.visibilityRounds !== 0) {
      const main = principals[0]!.tenantId;
      const move = (await admin.query<{ grid: string; from_parent: string; to_parent: string; from_district: string; to_district: string }>(
        `select g.id::text as grid, g.parent_id::text as from_parent, c2.id::text as to_parent, d1.id::text as from_district, d2.id::text as to_district
           from organisation.org_unit g
           join organisation.org_unit c on c.id = g.parent_id
           join organisation.org_unit s1 on s1.id = c.parent_id and s1.kind = 'STREET'
           join organisation.org_unit d1 on d1.id = s1.parent_id and d1.kind = 'DISTRICT'
           join organisation.org_unit d2 on d2.tenant_id = g.tenant_id and d2.kind = 'DISTRICT' and d2.id <> d1.id
           join organisation.org_unit s2 on s2.parent_id = d2.id and s2.kind = 'STREET'
           join organisation.org_unit c2 on c2.parent_id = s2.id and c2.kind = 'COMMUNITY'
          where g.tenant_id = $1 and g.kind = 'GRID' and exists (select 1 from members.member m where m.tenant_id = g.tenant_id and m.org_unit_id = g.id and m.stage in ('PROBATIONARY', 'FULL'))
            -- names are unique among a parent's children (grids are numbered per community)
            and not exists (select 1 from organisation.org_unit x where x.parent_id = c2.id and x.name = g.name)
          limit 1`, [main])).rows[0];
      // A grid moves to a community of another district and back: its members change district.
      visibility = await measureVisibility({
        url, gql, dashboard: dashboard.query, principals, rounds: o.visibilityRounds ?? 5, nextIdCard: idNumbers(), today,
        move: move && { gridId: move.grid, fromParentId: move.from_parent, toParentId: move.to_parent, fromDistrictId: move.from_district, toDistrictId: move.to_district },
      });
      log(`write visible on the dashboard after p50 ${visibility.p50Ms} ms, p95 ${visibility.p95Ms} ms, max ${visibility.maxMs} ms (${visibility.samples.length} writes${visibility.allWithin2s ? ', all within 2 s' : ''})`);
    }

    // The write check has just changed the main tenant's summaries; a timed run starts where a
    // steady reader would be (see settings.warmUp), not with every scope recomputing at once.
    for (const s of chosen.filter((c) => !c.write)) {
      for (const p of principals.filter((x) => s.applies?.(x) ?? true)) await gql(url, `Bearer ${p.token}`, s.query, s.variables(p, 0));
    }

    const runs: Run[] = [];
    const postmaster = await postmasterOf((await admin.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
    const measured = [...platform.services.map((s) => ({ name: s.name, pid: s.pid })), { name: 'bench', pid: process.pid }];
    const run = async (s: Scenario, connections: number, background?: Scenario): Promise<Run> => {
      await counter.reset();
      const cpuBefore = await cpuSnapshot(measured, postmaster);
      const bg = background ? cannon({ url: origin, connections: 2, duration: o.durationSeconds, requests: requestsFor(background, principals) }) : undefined;
      const r = await cannon({ url: origin, connections, duration: o.durationSeconds, requests: requestsFor(s, principals) });
      const bgResult = bg ? await bg : undefined;
      const statements = await counter.count();
      const cpuAfter = await cpuSnapshot(measured, postmaster);
      const done = r.requests.total + (bgResult?.requests.total ?? 0);
      const out: Run = {
        scenario: s.name, connections, backgroundWrites: !!background, seconds: o.durationSeconds,
        requests: r.requests.total, errors: r.errors, non2xx: r.non2xx, rps: round(r.requests.average, 1),
        latencyMs: { p50: r.latency.p50, p95: percentile95(r), p99: r.latency.p99, mean: round(r.latency.mean), max: r.latency.max },
        sqlPerOperation: statements === null || done === 0 || background ? null : round(statements / done, 1),
        cpuMsPerOperation: cpuPerOperation(cpuBefore, cpuAfter, done),
      };
      log(`${s.name.padEnd(12)} c=${String(connections).padEnd(3)}${background ? ' +writes' : '        '} ${String(out.rps).padStart(8)} req/s  p50 ${out.latencyMs.p50} ms  p95 ${out.latencyMs.p95} ms  p99 ${out.latencyMs.p99} ms  sql/op ${out.sqlPerOperation ?? 'n/a'}  errors ${out.errors + out.non2xx}`);
      log(`${' '.repeat(12)} cpu ms/op: ${Object.entries(out.cpuMsPerOperation).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      runs.push(out);
      return out;
    };
    for (const s of chosen) {
      await run(s, 1);
      await run(s, o.connections);
    }
    const writes = catalogue.find((c) => c.name === 'write-mix')!;
    for (const s of chosen.filter((c) => !c.write)) await run(s, o.connections, writes);

    // Naive SQL vs the platform (one client, serial).
    let naiveVsPlatform: BenchResults['comparisons']['naiveVsPlatform'] = null;
    if (chosen.some((c) => c.name === 'dashboard')) {
      const n = Math.max(3, Math.min(10, o.durationSeconds));
      const naive = await timeSerial(n, () => naiveDashboard(admin, cityAdmin.tenantId, cityAdmin.focusUnitId, cityAdmin.drillKinds));
      const plat = await timeSerial(n, () => gql(url, `Bearer ${cityAdmin.token}`, dashboard.query, dashboard.variables(cityAdmin, 0)));
      naiveVsPlatform = { naiveMs: naive, platformMs: plat, ratio: round(naive.p50 / Math.max(0.01, plat.p50)) };
      log(`naive SQL dashboard p50 ${naive.p50} ms vs platform ${plat.p50} ms: ${naiveVsPlatform.ratio}×`);
    }

    // The organisation-only part of the dashboard straight to the subgraph vs through the gateway.
    const org = platform.services.find((s) => s.name === 'organisation')!;
    const sign = await createInternalSigner(platform.keys.privateKeyPem, 300);
    const credentials = await Promise.all(principals.map((p) => sign('organisation', principalOf(p))));
    const direct = await cannon({
      url: new URL(org.url).origin, connections: o.connections, duration: o.durationSeconds,
      requests: credentials.map((c) => ({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', authorization: `Bearer ${c}` }, body: JSON.stringify({ query: unitCountsQuery }) })),
    });
    const through = await cannon({
      url: origin, connections: o.connections, duration: o.durationSeconds,
      requests: principals.map((p) => ({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}` }, body: JSON.stringify({ query: unitCountsQuery }) })),
    });
    const gatewayOverhead = {
      directMs: { p50: direct.latency.p50, p95: percentile95(direct) }, gatewayMs: { p50: through.latency.p50, p95: percentile95(through) },
      directRps: round(direct.requests.average, 1), gatewayRps: round(through.requests.average, 1),
      latencyRatio: round(through.latency.p50 / Math.max(0.01, direct.latency.p50)),
      throughputRatio: round(direct.requests.average / Math.max(0.01, through.requests.average)),
    };
    log(`unit counts: subgraph directly ${gatewayOverhead.directRps} req/s p50 ${gatewayOverhead.directMs.p50} ms; through the gateway ${gatewayOverhead.gatewayRps} req/s p50 ${gatewayOverhead.gatewayMs.p50} ms`);

    const memory: BenchResults['memory'] = {};
    for (const s of platform.services) memory[s.name] = await memoryOf(s.pid);
    log(`peak memory: ${Object.entries(memory).map(([k, v]) => `${k} ${v?.peakMb ?? '?'} MB`).join(', ')}`);

    const dash1 = runs.find((r) => r.scenario === 'dashboard' && r.connections === 1 && !r.backgroundWrites);
    const dashN = runs.find((r) => r.scenario === 'dashboard' && r.connections === o.connections && !r.backgroundWrites);
    const peak = Math.max(...Object.values(memory).map((m) => m?.peakMb ?? 0));
    const results: BenchResults = {
      date: new Date().toISOString(),
      commit: gitCommit(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: round(totalmem() / 2 ** 30, 1), node: process.version, postgres: (await admin.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v },
      profile: o.profile,
      settings: {
        inboundDeduplication: false,
        subgraphRequestDeduplication: 'off (each subgraph call carries its request\'s id, so none could be shared)',
        warmUp: 'after the write check, one untimed request per principal for each read scenario (process JIT, pools, statistics cache at the current summary version); the +writes runs change the summaries while they are timed',
        responseCache: false,
        statisticsCache: 'per service process: a unit\'s statistics, age bands and campaign progress, and the organisation tree reads (tenant, units, children, districts, counts), under the tenant\'s summary or tree version and the caller\'s scope; every write to a summary or the tree changes the version',
        sqlCounting: counter.available ? 'pg_stat_statements: statements of the trellis_* service roles (BEGIN, set_config, ROLLBACK and COMMIT included; BEGIN and set_config share one round trip) divided by completed requests' : 'unavailable (pg_stat_statements not preloaded in this server)',
      },
      principals: { count: principals.length, tenants: new Set(principals.map((p) => p.tenantId)).size, roles: countBy(principals.map((p) => p.role)) },
      dashboardMatchesRawRows: matches,
      dashboardMismatches: mismatches,
      visibility,
      runs,
      comparisons: { naiveVsPlatform, gatewayOverhead },
      memory,
      goals: {
        dashboardP95Ms: { goal: 30, measured: dash1?.latencyMs.p95 ?? null, met: dash1 ? dash1.latencyMs.p95 <= 30 : null },
        dashboardRps32: { goal: 300, measured: dashN?.rps ?? null, met: dashN && o.connections >= 32 ? dashN.rps >= 300 : null },
        serviceRssMb: { goal: 300, measured: peak || null, met: peak ? peak < 300 : null },
        writeVisibleMs: { goal: 2000, measured: visibility?.maxMs ?? null, met: visibility ? visibility.allWithin2s : null },
      },
    };
    await mkdir(o.resultsDir, { recursive: true });
    const file = path.join(o.resultsDir, `${results.date.replace(/[:.]/g, '-')}-${o.profile}.json`);
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    return { results, file };
  } finally {
    await platform?.close();
    await counter.close();
    await admin.end();
  }
}

/** autocannon reports p97.5 and p99 but not p95: interpolate between p90 and p97.5. */
function percentile95(r: autocannon.Result): number {
  const l = r.latency as unknown as Record<string, number>;
  const p90 = l.p90 ?? r.latency.p50;
  const p975 = l.p97_5 ?? r.latency.p99;
  return round(p90 + ((p975 - p90) * (95 - 90)) / (97.5 - 90));
}

function principalOf(p: BenchPrincipal): Principal {
  return { sub: `bench-${p.label}`, tenantId: p.tenantId, tenantSlug: p.tenantSlug, role: p.role, scopeUnitId: p.scopeUnitId, scopes: [] } as unknown as Principal;
}

const countBy = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {});

function gitCommit(): string {
  try { return execSync('git rev-parse HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return 'unknown'; }
}
