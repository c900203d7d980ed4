import { readEnv } from '../env.ts';
import { devDatabase } from '../devdb.ts';
import { prepareDatabase } from '../database.ts';

/**
 * `npm run migrate`: roles, schemas and every subgraph's migrations against DATABASE_URL (or the
 * embedded development server). What a deployment runs before rolling out new service versions;
 * `npm start` runs the same step itself.
 */
const env = readEnv();
const say = (m: string) => console.log(`[migrate] ${m}`);
const db = await devDatabase(env.DATABASE_URL, say);
try {
  await prepareDatabase(db.adminUrl, env.DB_APP_PASSWORD, say);
  say('done');
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  await db.stop();
}
