import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readEnv } from '@trellis/infra/env.ts';
import { profileDatabase } from '@trellis/infra/seed/database.ts';
import { profileByName } from '@trellis/infra/seed/profiles.ts';
import { prepareDatabase } from '@trellis/infra/database.ts';
import { runBench } from './run.ts';
import { importScenario } from './importRate.ts';

/**
 * `npm run bench -- --profile <p> --scenario <name|all> [--duration s] [--connections n] [--database-url URL]`
 * `npm run bench -- --profile <p> --scenario import [--rows N]`: the bulk import rate, on its own
 * Starts the platform itself (one process per service) on the profile's seeded database; stop
 * `npm start` first when both would use the same database.
 */
const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'demo' },
    scenario: { type: 'string', multiple: true, default: ['all'] },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    'database-url': { type: 'string' },
    rows: { type: 'string', default: '100000' },
  },
});
const profile = profileByName(values.profile).name;
const say = (m: string) => console.log(`[bench] ${m}`);
const env = readEnv();
// The import writes (and then removes) members rather than reading: it runs alone (importRate.ts).
if (values.scenario.includes('import')) process.exit(await importScenario({ profile, rows: Number(values.rows), databaseUrl: values['database-url'] ?? env.DATABASE_URL, appPassword: env.DB_APP_PASSWORD, log: say }));
// A profile's own embedded server preloads pg_stat_statements (statements per operation).
const db = await profileDatabase(profile, values['database-url'] ?? env.DATABASE_URL, say);
try {
  // A profile seeded by an older checkout gets this checkout's migrations, as `npm start` does.
  await prepareDatabase(db.adminUrl, env.DB_APP_PASSWORD, say);
  const { results, file } = await runBench({
    adminUrl: db.adminUrl, appPassword: env.DB_APP_PASSWORD, profile, scenarios: values.scenario,
    durationSeconds: Number(values.duration), connections: Number(values.connections),
    resultsDir: fileURLToPath(new URL('../results', import.meta.url)), log: say,
  });
  console.log('');
  console.log('scenario      clients  +writes   req/s     p50 ms   p95 ms   p99 ms   sql/op');
  for (const r of results.runs) {
    console.log(`${r.scenario.padEnd(14)}${String(r.connections).padStart(7)}  ${(r.backgroundWrites ? 'yes' : '').padEnd(7)}${String(r.rps).padStart(8)} ${String(r.latencyMs.p50).padStart(9)}${String(r.latencyMs.p95).padStart(9)}${String(r.latencyMs.p99).padStart(9)}   ${r.sqlPerOperation ?? 'n/a'}`);
  }
  console.log('');
  const v = results.visibility;
  if (v) say(`write visible on the dashboard: p50 ${v.p50Ms} ms, p95 ${v.p95Ms} ms, max ${v.maxMs} ms over ${v.samples.length} writes`);
  if (!results.dashboardMatchesRawRows) say(`dashboard differs from the raw rows in ${results.dashboardMismatches.length} figures (see the results file)`);
  for (const [goal, g] of Object.entries(results.goals)) say(`goal ${goal}: ${g.measured ?? 'n/a'} (goal ${g.goal}) ${g.met === null ? '' : g.met ? 'met' : 'MISSED'}`);
  say(`results written to ${file}`);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await db.stop();
}
