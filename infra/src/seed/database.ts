import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '@trellis/platform';
import { dataDir } from '../devdb.ts';
import type { ProfileName } from './profiles.ts';

const PORTS: Record<ProfileName, number> = { demo: 54341, district: 54342, 'city-1m': 54343 };

/** Where a profile's embedded cluster lives: .data/profiles/<profile>/ (separate from `npm start`'s .data/pg). */
export const profileDir = (profile: ProfileName) => path.join(dataDir, 'profiles', profile);

/**
 * The database a profile is seeded into and benchmarked on: `databaseUrl` when given, otherwise
 * an embedded PostgreSQL kept under .data/profiles/<profile>/ so seeding a million members never
 * touches the development data of `npm start`, and each profile is seeded once and reused.
 */
export async function profileDatabase(profile: ProfileName, databaseUrl: string | undefined, log: (m: string) => void) {
  if (databaseUrl) return { adminUrl: databaseUrl, started: false, stop: async () => {} };
  const dir = profileDir(profile);
  await mkdir(dir, { recursive: true });
  const portFile = path.join(dir, 'pg-port');
  const port = existsSync(portFile) ? Number(await readFile(portFile, 'utf8')) : PORTS[profile];
  await writeFile(portFile, String(port));
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  if (await reachable(url)) return { adminUrl: url, started: false, stop: async () => {} };
  log(`starting embedded PostgreSQL for profile ${profile} on port ${port} (data in ${path.join(dir, 'pg')})`);
  let server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, persistent: true });
  // A profile's own cluster holds up to a million members: give it memory beyond the 128 MB
  // default, room for the load's WAL, and preload pg_stat_statements (the benchmark counts SQL
  // statements with it).
  const c = new pg.Client({ connectionString: server.adminUrl });
  await c.connect();
  const current = Object.fromEntries((await c.query<{ name: string; setting: string }>(
    `select name, current_setting(name) as setting from unnest(array[${Object.keys(TUNING).map((k) => `'${k}'`).join(', ')}]) as name`)).rows.map((r) => [r.name, r.setting]));
  const stale = Object.entries(TUNING).filter(([k, v]) => current[k] !== v);
  for (const [k, v] of stale) await c.query(`alter system set ${k} = '${v}'`);
  await c.end();
  if (stale.some(([k]) => RESTART.has(k))) {
    log(`restarting PostgreSQL to apply ${stale.map(([k, v]) => `${k} = ${v}`).join(', ')}`);
    await server.stop();
    server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, persistent: true });
  } else if (stale.length) {
    const r = new pg.Client({ connectionString: server.adminUrl });
    await r.connect();
    await r.query('select pg_reload_conf()');
    await r.end();
  }
  return { adminUrl: server.adminUrl, started: true, stop: server.stop };
}

const TUNING: Record<string, string> = {
  shared_buffers: '1GB',
  shared_preload_libraries: 'pg_stat_statements',
  maintenance_work_mem: '512MB',
  work_mem: '16MB',
  // A city's load writes several GB of WAL in two minutes: with checkpoints every ~2 GB, each
  // one wrote the buffers out again and the next first touch of a page (hint bits, with data
  // checksums on) logged it whole. The load now passes without a checkpoint.
  max_wal_size: '12GB',
  checkpoint_timeout: '15min',
  // No replica reads this cluster's WAL: at the minimal level, an index built or a table truncated
  // and filled in the loading transaction is written to its files (synced at commit) without
  // passing through the WAL as well, about 4 GB of a city's load.
  wal_level: 'minimal',
  max_wal_senders: '0',
};
const RESTART = new Set(['shared_buffers', 'shared_preload_libraries', 'wal_level', 'max_wal_senders']);

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try { await c.connect(); await c.end(); return true; } catch { return false; }
}
