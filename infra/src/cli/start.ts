import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { signUserToken } from '@trellis/platform';
import { readEnv, userTokenConfig } from '../env.ts';
import { devDatabase, devInternalKeys } from '../devdb.ts';
import { prepareDatabase } from '../database.ts';
import { loadDemo } from '../demo/load.ts';
import { loadMembersDemo } from '../demo/members.ts';
import { loadAssessmentDemo } from '../demo/assessment.ts';
import { loadServicesDemo } from '../demo/services.ts';
import { subgraphModules } from '../subgraphs.ts';
import { serviceNodeFlags } from '../catalogue.ts';

/**
 * `npm start`: database (embedded unless DATABASE_URL is set), migrations, demo data when the
 * database is empty, then each subgraph and the gateway as its own process. Ctrl-C stops all.
 */
const t0 = Date.now();
const env = readEnv();
const say = (m: string) => console.log(`[trellis] ${m}`);
const db = await devDatabase(env.DATABASE_URL, say);
const children: ChildProcess[] = [];

async function shutdown(code = 0) {
  say('stopping…');
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGTERM');
  })));
  await db.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

try {
  await prepareDatabase(db.adminUrl, env.DB_APP_PASSWORD, say);
  const client = new pg.Client({ connectionString: db.adminUrl });
  await client.connect();
  const { rows } = await client.query('select count(*)::int as n from organisation.tenant');
  await client.end();
  if (rows[0].n === 0 && env.DEMO_DATA === 'true') {
    const loaded = await loadDemo(db.adminUrl);
    const members = await loadMembersDemo(db.adminUrl, loaded);
    await loadAssessmentDemo(db.adminUrl, loaded);
    say(`loaded demo members: ${Object.entries(members).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const services = await loadServicesDemo(db.adminUrl, loaded);
    say(`loaded demo service orders and wishes: ${Object.entries(services).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    say(`loaded demo tenants: ${loaded.map((t) => `${t.slug} (${t.unitIds.size} units)`).join(', ')}`);
  }
  const keys = env.INTERNAL_JWT_PRIVATE_KEY && env.INTERNAL_JWT_PUBLIC_KEY
    ? { privateKeyPem: env.INTERNAL_JWT_PRIVATE_KEY, publicKeyPem: env.INTERNAL_JWT_PUBLIC_KEY }
    : await devInternalKeys();
  const serve = fileURLToPath(new URL('./serve.ts', import.meta.url));
  const base = { ...process.env, DATABASE_URL: db.adminUrl, INTERNAL_JWT_PUBLIC_KEY: keys.publicKeyPem };
  const spawn = (args: string[], extra: Record<string, string>) => new Promise<void>((resolve, reject) => {
    const child = fork(serve, args, { env: { ...base, ...extra }, execArgv: [...process.execArgv, ...serviceNodeFlags(args.at(-1)!)] });
    children.push(child);
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with code ${code}`)));
  });
  await Promise.all(subgraphModules.map((m) => spawn(['subgraph', m.name], { SUBGRAPH_PORT: String(m.defaultPort) })));
  await spawn(['gateway'], {
    INTERNAL_JWT_PRIVATE_KEY: keys.privateKeyPem,
    SUBGRAPH_URLS: subgraphModules.map((m) => `${m.name}=http://127.0.0.1:${m.defaultPort}/graphql`).join(','),
  });
  const cfg = userTokenConfig(env);
  const client2 = new pg.Client({ connectionString: db.adminUrl });
  await client2.connect();
  const tenant = (await client2.query(`select id, slug from organisation.tenant order by (slug = 'huangshi') desc, slug limit 1`)).rows[0];
  await client2.end();
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  say(`GraphQL: http://localhost:${env.GATEWAY_PORT}/graphql`);
  if (tenant && cfg.secret) {
    const token = await signUserToken({ issuer: cfg.issuer, audience: cfg.audience, secret: cfg.secret },
      { sub: 'dev-city-admin', tenantId: tenant.id, tenantSlug: tenant.slug, role: 'CITY_ADMIN', scopes: [] });
    say(`development token (CITY_ADMIN of ${tenant.slug}, 12 h):\n\n${token}\n`);
    say(`try: curl -s localhost:${env.GATEWAY_PORT}/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"query":"{ myTenant { name rootUnit { name children { name } } } }"}'`);
  }
} catch (e) {
  console.error(e);
  await shutdown(1);
}
