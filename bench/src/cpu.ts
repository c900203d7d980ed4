// CPU time spent by each process of the platform during a run: where an operation's time goes
// (gateway, each subgraph, PostgreSQL, the load generator itself). Read from /proc, so it costs
// nothing while the load runs and needs no profiler in the services.
import { readFile, readdir } from 'node:fs/promises';

const TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

/**
 * utime + stime of one process in clock ticks (with `children`, also cutime + cstime: the time
 * of its children that have exited), or 0 when it has gone.
 */
async function ticksOf(pid: number, children = false): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0);
  } catch {
    return 0;
  }
}

async function parentOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** The server process and every backend and worker it forked. */
async function clusterPids(postmaster: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const children = await Promise.all(pids.map(async (p) => ((await parentOf(p)) === postmaster ? p : null)));
  return [postmaster, ...children.filter((p): p is number => p !== null)];
}

export interface CpuSnapshot { ticks: Map<string, number> }

/**
 * Samples the CPU ticks of the named processes and of the PostgreSQL cluster whose postmaster
 * is given (null when the server is not on this machine: its share is then not reported).
 */
export async function cpuSnapshot(processes: { name: string; pid: number }[], postmaster: number | null): Promise<CpuSnapshot> {
  const ticks = new Map<string, number>();
  for (const p of processes) ticks.set(p.name, await ticksOf(p.pid));
  if (postmaster) {
    // Live backends, plus what the ones that exited in between spent (the postmaster's children time).
    const pids = await clusterPids(postmaster);
    ticks.set('postgres', (await Promise.all(pids.map((p) => ticksOf(p, p === postmaster)))).reduce((a, b) => a + b, 0));
  }
  return { ticks };
}

/** CPU milliseconds per completed operation, per process, between two snapshots. */
export function cpuPerOperation(before: CpuSnapshot, after: CpuSnapshot, operations: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, t] of after.ticks) {
    const spent = (t - (before.ticks.get(name) ?? 0)) / TICKS_PER_MS;
    out[name] = operations ? Math.round((spent / operations) * 100) / 100 : 0;
  }
  return out;
}

/** The postmaster's pid as seen from a session of the server (the backend's parent), when local. */
export async function postmasterOf(backendPid: number): Promise<number | null> {
  try {
    // A remote server's backend pid may name some unrelated local process.
    if (!(await readFile(`/proc/${backendPid}/comm`, 'utf8')).startsWith('postgres')) return null;
  } catch {
    return null;
  }
  return parentOf(backendPid);
}
