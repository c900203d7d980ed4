import { mkdtemp, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { bootstrapDatabase, bootstrapRoles } from '../db/bootstrap.ts';
import { migrateSubgraph, platformMigrationsDir } from '../db/migrate.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from '../db/embedded.ts';
import { withDatabase } from '../db/roles.ts';
import { generateInternalKeyPair } from '../auth/internalTokens.ts';

/**
 * Once per test run: a PostgreSQL (embedded unless DATABASE_URL is set), roles, and a template
 * database with every subgraph's migrations applied for real. Each test file then clones the
 * template (CREATE DATABASE … TEMPLATE), so files run in parallel on their own data.
 */
const root = path.resolve(import.meta.dirname, '../../..');

declare global {
  var __trellisPg: EmbeddedServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'trellis-test-'));
    globalThis.__trellisPg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), persistent: false, fast: true });
    adminUrl = globalThis.__trellisPg.adminUrl;
  }
  const template = `trellis_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const appPassword = 'trellis-test';
  const templateUrl = withDatabase(adminUrl, template);
  await bootstrapRoles(adminUrl, appPassword);
  await bootstrapDatabase(templateUrl);
  await migrateSubgraph(templateUrl, 'events', platformMigrationsDir);
  for (const name of await readdir(path.join(root, 'subgraphs'))) {
    const dir = path.join(root, 'subgraphs', name, 'src', 'migrations');
    if (existsSync(dir)) await migrateSubgraph(templateUrl, name, dir);
  }
  const keys = await generateInternalKeyPair();
  Object.assign(process.env, {
    TRELLIS_TEST_ADMIN_URL: adminUrl,
    TRELLIS_TEST_TEMPLATE: template,
    TRELLIS_TEST_APP_PASSWORD: appPassword,
    TRELLIS_TEST_INTERNAL_PRIVATE_KEY: keys.privateKeyPem,
    TRELLIS_TEST_INTERNAL_PUBLIC_KEY: keys.publicKeyPem,
  });
}
