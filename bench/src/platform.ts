// Runs the platform for a benchmark the way `npm start` does: every subgraph and the gateway in
// its own process (infra/src/cli/serve.ts), so each one's memory can be read from /proc.
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { freePort, generateInternalKeyPair, type InternalKeyPair } from '@trellis/platform';
import { serviceNodeFlags, subgraphCatalogue } from '@trellis/infra/catalogue.ts';

export interface ServiceProcess { name: string; pid: number; url: string; child: ChildProcess }
export interface RunningPlatform { gatewayUrl: string; services: ServiceProcess[]; keys: InternalKeyPair; close(): Promise<void> }

const serve = fileURLToPath(new URL('../../infra/src/cli/serve.ts', import.meta.url));

export async function startPlatform(opts: { adminUrl: string; appPassword: string; logLevel?: string }): Promise<RunningPlatform> {
  const keys = await generateInternalKeyPair();
  const services: ServiceProcess[] = [];
  const base = {
    ...process.env, NODE_ENV: 'development', DATABASE_URL: opts.adminUrl, DB_APP_PASSWORD: opts.appPassword,
    INTERNAL_JWT_PUBLIC_KEY: keys.publicKeyPem, LOG_LEVEL: opts.logLevel ?? 'warn', DEMO_DATA: 'false',
  };
  const spawn = (name: string, args: string[], extra: Record<string, string>, url: string) => new Promise<void>((resolve, reject) => {
    // BENCH_CPU_PROF_DIR=dir writes a V8 CPU profile per service there when it stops (open in Chrome's DevTools).
    const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
    const execArgv = [...process.execArgv, ...serviceNodeFlags(name), ...profile];
    const child = fork(serve, args, { env: { ...base, ...extra }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    services.push({ name, pid: child.pid!, url, child });
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code}`)));
  });
  const close = async () => {
    await Promise.all(services.map((s) => new Promise<void>((resolve) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
      s.child.removeAllListeners('exit');
      s.child.once('exit', () => resolve());
      s.child.kill('SIGTERM');
    })));
  };
  try {
    const ports = new Map<string, number>();
    for (const m of subgraphCatalogue) ports.set(m.name, await freePort());
    await Promise.all(subgraphCatalogue.map((m) => spawn(m.name, ['subgraph', m.name], { SUBGRAPH_PORT: String(ports.get(m.name)) }, `http://127.0.0.1:${ports.get(m.name)}/graphql`)));
    const gatewayPort = await freePort();
    await spawn('gateway', ['gateway'], {
      INTERNAL_JWT_PRIVATE_KEY: keys.privateKeyPem,
      GATEWAY_PORT: String(gatewayPort),
      SUBGRAPH_URLS: subgraphCatalogue.map((m) => `${m.name}=http://127.0.0.1:${ports.get(m.name)}/graphql`).join(','),
    }, `http://127.0.0.1:${gatewayPort}/graphql`);
    return { gatewayUrl: `http://127.0.0.1:${gatewayPort}/graphql`, services, keys, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Peak (VmHWM) and current (VmRSS) resident memory of a process, in MB. */
export async function memoryOf(pid: number): Promise<{ peakMb: number; rssMb: number } | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { peakMb: Math.round(kb('VmHWM') / 102.4) / 10, rssMb: Math.round(kb('VmRSS') / 102.4) / 10 };
  } catch {
    return null;
  }
}
