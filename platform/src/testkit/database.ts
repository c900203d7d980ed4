import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { appDatabaseUrl, withDatabase } from '../db/roles.ts';

export interface TestDatabase {
  /** Administrative URL of this file's own database (bypasses RLS when the role is superuser). */
  adminUrl: string;
  appPassword: string;
  /** URL a subgraph's role uses for this database. */
  appUrl(subgraph: string): string;
  /** Runs SQL as the administrator. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run tests through jest (globalSetup prepares the database)`);
  return v;
}

/** A fresh database cloned from the migrated template: unique to the calling test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = env('TRELLIS_TEST_ADMIN_URL');
  const template = env('TRELLIS_TEST_TEMPLATE');
  const appPassword = env('TRELLIS_TEST_APP_PASSWORD');
  const name = `trellis_t${randomBytes(4).toString('hex')}_${template.split('_').pop()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  // Template cloning needs the template to be idle; retry briefly when another file is cloning.
  for (let attempt = 0; ; attempt++) {
    try { await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`); break; } catch (e) {
      if (attempt > 20) throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
  const adminUrl = withDatabase(serverUrl, name);
  const pool = new pg.Pool({ connectionString: adminUrl, max: 4 });
  return {
    adminUrl,
    appPassword,
    appUrl: (subgraph) => appDatabaseUrl(adminUrl, subgraph, appPassword),
    query: (sql, params) => pool.query(sql, params as unknown[]),
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The gateway key pair generated for this test run. */
export const testInternalKeys = () => ({ privateKeyPem: env('TRELLIS_TEST_INTERNAL_PRIVATE_KEY'), publicKeyPem: env('TRELLIS_TEST_INTERNAL_PUBLIC_KEY') });
