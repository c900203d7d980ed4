// The bulk generator: organisation → members → (services, assessment when their seed modules
// exist). Each subgraph loads its own tables; the driver only generates the tree, hands it on,
// runs what can run at the same time on separate connections, and times the phases.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { seed as seedOrganisation, type SeedInput, type SeedMember } from '@trellis/organisation/seed.ts';
import { seed as seedMembers } from '@trellis/members/seed.ts';
import { prepareDatabase } from '../database.ts';
import { deriveSeed, mulberry32, uuid } from '@trellis/platform/seed/prng.ts';
import { profileByName, type ProfileName, type TenantShape } from './profiles.ts';
import { createProgress } from './progress.ts';
import { generateTree } from './tree.ts';

export interface SeedOptions {
  adminUrl: string;
  appPassword: string;
  profile: ProfileName;
  seed?: number;
  now?: Date;
  /** Show a progress bar (the CLI on a terminal). */
  progressBar?: boolean;
  log?: (m: string) => void;
}

export interface SeededTenant { slug: string; id: string; name: string; rootId: string; districtIds: string[]; units: number; members: number; seconds: Record<string, number> }
export interface SeedReport { profile: ProfileName; seed: number; tenants: SeededTenant[]; seconds: number }

type SeedFn = (input: SeedInput) => Promise<void>;

/** Subgraphs whose seed modules may appear later; called when their file exists. */
const LATER = ['services', 'assessment'];

async function laterSeeds(): Promise<{ name: string; seed: SeedFn }[]> {
  const out: { name: string; seed: SeedFn }[] = [];
  for (const name of LATER) {
    const file = fileURLToPath(new URL(`../../../subgraphs/${name}/src/seed.ts`, import.meta.url));
    if (!existsSync(file)) continue;
    const mod = (await import(file)) as { seed?: SeedFn };
    if (typeof mod.seed === 'function') out.push({ name, seed: mod.seed });
  }
  return out;
}

/**
 * Seeds every tenant of a profile into a migrated database; refuses a database that already has
 * them. The first (main) tenant and the neighbours, one after the other, load at the same time on
 * their own connections; within a tenant, the later seeds (services, assessment) start on their
 * own connections as soon as the members are loaded, while the members seed writes ledgers and
 * summaries. A seed that waits for another's table (an index rebuilt inside its transaction)
 * simply waits for it to commit.
 */
export async function seedProfile(opts: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const profile = profileByName(opts.profile);
  const seed = opts.seed ?? 1;
  const now = opts.now ?? new Date();
  const log = opts.log ?? (() => {});
  await prepareDatabase(opts.adminUrl, opts.appPassword);
  const clients: pg.Client[] = [];
  const connect = async () => {
    const c = new pg.Client({ connectionString: opts.adminUrl });
    clients.push(c);
    await c.connect();
    if (process.env.SEED_TRACE) traceStatements(c, log);
    return c;
  };
  const bar = createProgress(opts.progressBar ?? false);
  try {
    const client = await connect();
    const taken = (await client.query<{ slug: string }>('select slug from organisation.tenant where slug = any($1)', [profile.tenants.map((t) => t.slug)])).rows;
    if (taken.length) throw new Error(`tenants ${taken.map((t) => t.slug).join(', ')} already exist in this database: seed into a fresh one (delete the profile's data directory or pass another --database-url)`);
    const later = await laterSeeds();
    const o = { seed, now, profile: opts.profile, bar, later, log, connect };
    const [main, ...neighbours] = profile.tenants;
    // The neighbours start once the main tenant's members are in: its seeds then hold the tables
    // they rebuild first, and a neighbour waits for them rather than the other way round.
    let mainLoaded: () => void = () => {};
    const loaded = new Promise<void>((resolve) => { mainLoaded = resolve; });
    const mainTenant = seedTenant(client, main!, { ...o, loaded: () => mainLoaded() });
    const [first, rest] = await settled([
      mainTenant,
      (async () => {
        if (!neighbours.length) return [];
        await Promise.race([loaded, mainTenant.catch(() => {})]);
        // Side by side, each on its own connection: they are small (no index is dropped or table
        // emptied for them), touch only their own tenant's rows, and what one waits for (the
        // main tenant's commit) the other waits for too, so the last phase uses both cores.
        return settled(neighbours.map(async (shape) => seedTenant(await connect(), shape, o)));
      })(),
    ]);
    // Statistics once for every loaded table, after all tenants (each seed analyzing its tables
    // after its own tenant sampled the largest tables again for every neighbour), on two
    // connections. VACUUM with it sets the visibility map and hint bits of the tables not copied
    // frozen (members, the neighbours' rows): before it, a freshly seeded city cost PostgreSQL
    // two to four times the CPU per dashboard until autovacuum came by.
    const analyzed = performance.now();
    // Largest first, each connection taking the next table when it is done.
    const tables = (await client.query<{ t: string }>(
      `select format('%I.%I', n.nspname, c.relname) as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname in ('organisation', 'members', 'services', 'assessment', 'events')
        order by pg_relation_size(c.oid) desc, 1`)).rows.map((r) => r.t);
    const queue = [...tables];
    const other = await connect();
    await settled([client, other].map(async (c) => {
      for (let t = queue.shift(); t; t = queue.shift()) await c.query(`vacuum (analyze) ${t}`);
    }));
    log(`vacuum and statistics of ${tables.length} tables in ${((performance.now() - analyzed) / 1000).toFixed(1)} s`);
    return { profile: opts.profile, seed, tenants: [first, ...rest], seconds: (performance.now() - started) / 1000 };
  } finally {
    bar.stop();
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}

/** Waits for all; throws the first failure once none is still running (their connections close after). */
async function settled<T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

async function seedTenant(
  client: pg.Client, shape: TenantShape,
  o: {
    seed: number; now: Date; profile: ProfileName; bar: ReturnType<typeof createProgress>; later: { name: string; seed: SeedFn }[]; log: (m: string) => void;
    connect: () => Promise<pg.Client>; loaded?: () => void;
  },
): Promise<SeededTenant> {
  const seconds: Record<string, number> = {};
  const timed = async <T>(phase: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try { return await f(); } finally { seconds[phase] = Math.round(performance.now() - t) / 1000; }
  };
  const started = performance.now();
  const tenantId = uuid(mulberry32(deriveSeed(o.seed, `tenant:${shape.slug}`)));
  const tree = await timed('tree', async () => generateTree(shape, o.seed));
  const name = `${shape.city}市`;
  const base = { client, tenantId, seed: o.seed, now: o.now, profile: o.profile, units: tree.units, progress: (n: number) => o.bar.tick(n), analyze: false };
  o.bar.start(`${shape.slug}: organisation`, tree.units.length);
  await timed('organisation', () => seedOrganisation({ ...base, members: [], organisationSeq: 0, tenant: { slug: shape.slug, name, kind: 'CITY' } }));
  const organisationSeq = Number((await client.query<{ s: string }>(`select last_seq::text as s from events.counter where topic = 'organisation' and tenant_id = $1`, [tenantId])).rows[0]?.s ?? 0);
  o.bar.start(`${shape.slug}: members`, tree.units.length + shape.members);
  // Later seeds get every member (the contract's SeedMember) as the members seed generated them,
  // as soon as they are loaded, and run on their own connections while the members seed goes on.
  let ready: (members: SeedMember[]) => void = () => {};
  const loaded = new Promise<SeedMember[]>((resolve) => { ready = (m) => { resolve(m); o.loaded?.(); }; });
  const members = timed('members', () => seedMembers({ ...base, members: [], organisationSeq, memberCount: shape.members, regionCode: shape.regionCode, onMembers: ready, connect: o.connect }));
  const later = o.later.map(async (l) => {
    const people = await Promise.race([loaded, members]);
    const c = await o.connect();
    try {
      await timed(l.name, () => l.seed({ ...base, client: c, members: people, organisationSeq }));
    } finally {
      await c.end();
    }
  });
  await settled([members, ...later]);
  o.log(`${shape.slug}: ${tree.units.length.toLocaleString('en')} units, ${shape.members.toLocaleString('en')} members in ${((performance.now() - started) / 1000).toFixed(1)} s (${Object.entries(seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')})`);
  return { slug: shape.slug, id: tenantId, name, rootId: tree.rootId, districtIds: tree.districtIds, units: tree.units.length, members: shape.members, seconds: { ...seconds, total: Math.round(performance.now() - started) / 1000 } };
}

/** SEED_TRACE=1: log every statement of the load that takes longer than 100 ms (where a phase spends its time). */
function traceStatements(client: pg.Client, log: (m: string) => void) {
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const started = performance.now();
    const r = query(...args);
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text ?? 'COPY (stream)';
    const done = () => {
      const ms = performance.now() - started;
      if (ms > 100) log(`  ${(ms / 1000).toFixed(2)} s  ${text.replace(/\s+/g, ' ').slice(0, 110)}`);
    };
    if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(done, () => {});
    else if (r && typeof (r as NodeJS.EventEmitter).on === 'function') (r as NodeJS.EventEmitter).on('finish', done);
    return r;
  };
}
