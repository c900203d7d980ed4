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
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, persistent: true });
  return { adminUrl: server.adminUrl, started: true, stop: server.stop };
}

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try { await c.connect(); await c.end(); return true; } catch { return false; }
}
