import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { generateInternalKeyPair, startEmbeddedPostgres, type InternalKeyPair } from '@trellis/platform';

/** Where development state lives: .data/ at the repository root (ignored by git). */
export const dataDir = path.resolve(import.meta.dirname, '../../.data');

/** The embedded server for `npm start` and the CLIs when DATABASE_URL is unset; data kept between runs. */
export async function devDatabase(databaseUrl: string | undefined, log: (m: string) => void) {
  if (databaseUrl) return { adminUrl: databaseUrl, stop: async () => {} };
  const portFile = path.join(dataDir, 'pg-port');
  const port = existsSync(portFile) ? Number(await readFile(portFile, 'utf8')) : 54329;
  await mkdir(dataDir, { recursive: true });
  await writeFile(portFile, String(port));
  // Already running (npm start in another terminal)? Use it and leave it running.
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  if (await reachable(url)) return { adminUrl: url, stop: async () => {} };
  log(`starting embedded PostgreSQL on port ${port} (data in ${path.join(dataDir, 'pg')})`);
  return startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port, persistent: true });
}

/** The gateway's signing key pair for subgraph credentials; generated once for development. */
export async function devInternalKeys(): Promise<InternalKeyPair> {
  const file = path.join(dataDir, 'internal-keys.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as InternalKeyPair;
  const keys = await generateInternalKeyPair();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try { await c.connect(); await c.end(); return true; } catch { return false; }
}
