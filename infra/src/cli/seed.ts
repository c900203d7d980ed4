import { parseArgs } from 'node:util';
import { readEnv } from '../env.ts';
import { profileDatabase } from '../seed/database.ts';
import { seedProfile } from '../seed/driver.ts';
import { profileByName, profiles } from '../seed/profiles.ts';

/**
 * `npm run seed -- --profile <demo|district|city-1m> [--seed N] [--database-url URL]`
 * Without --database-url the profile gets its own embedded PostgreSQL under .data/profiles/<profile>/
 * (the benchmark starts the platform on it). Nothing else may write to that database meanwhile.
 */
const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'demo' },
    seed: { type: 'string', default: '1' },
    'database-url': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('npm run seed -- --profile <name> [--seed N] [--database-url URL]\n');
  for (const p of Object.values(profiles)) console.log(`  ${p.name.padEnd(10)} ${p.description}`);
  process.exit(0);
}
const profile = profileByName(values.profile).name;
const say = (m: string) => console.log(`[seed] ${m}`);
const env = readEnv();
const db = await profileDatabase(profile, values['database-url'] ?? env.DATABASE_URL, say);
try {
  const report = await seedProfile({
    adminUrl: db.adminUrl, appPassword: env.DB_APP_PASSWORD, profile, seed: Number(values.seed),
    progressBar: process.stdout.isTTY, log: say,
  });
  for (const t of report.tenants) say(`${t.slug} (${t.name}, tenant ${t.id}): ${t.units.toLocaleString('en')} units, ${t.members.toLocaleString('en')} members — ${Object.entries(t.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
  say(`profile ${profile} seeded in ${report.seconds.toFixed(1)} s (${db.adminUrl.replace(/:[^:@/]+@/, ':***@')})`);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await db.stop();
}
