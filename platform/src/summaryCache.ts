import { LRUCache } from 'lru-cache';
import type { SqlEntityManager } from '@mikro-orm/postgresql';

/**
 * Figures computed from a subgraph's maintained summaries (a unit's member statistics, service
 * statistics, campaign progress), kept per process and reused exactly: an entry is keyed by the
 * tenant's summary version, which every statement that changes a summary bumps in its own
 * transaction (platform.track_summaries). A request reads the version first, so it never gets
 * figures older than the summaries it could see. Only read-only transactions fill or use the
 * cache: a writing one sees its own uncommitted version, whose figures may yet be rolled back.
 *
 * One per running subgraph (not per module), so two databases served by one process (tests)
 * never share entries.
 */
export interface SummaryCache {
  /**
   * The values of `keys` for a caller of `tenantId` described by `context` (everything else that
   * decides the figures besides the unit: scope, the day …): cached where computed at the
   * tenant's current summary version, the rest from `load` (which returns a value for every key
   * it can answer; a key it leaves out stays missing).
   */
  through<V>(em: SqlEntityManager, versionTable: string, tenantId: string, context: string, keys: readonly string[], load: (missing: readonly string[]) => Promise<Map<string, V>>): Promise<Map<string, V>>;
  /** Entries held now, over all tenants. */
  readonly size: number;
}

interface VersionState { version: string; read_only: boolean }

/** Tenants (per summary table) whose figures are kept; the least recently read go first. */
const TENANTS = 200;
/** Figures kept per tenant and version: a city's dashboards for a few dozen scopes. */
const ENTRIES_PER_TENANT = 5_000;

/**
 * Per tenant, only the figures of the newest version seen are kept: a write drops the tenant's
 * older figures at the next read instead of leaving them to age out, so a busy tenant's memory
 * stays one dashboard's worth.
 */
export function createSummaryCache(entriesPerTenant = ENTRIES_PER_TENANT): SummaryCache {
  const tenants = new LRUCache<string, { version: bigint; entries: Map<string, unknown> }>({ max: TENANTS });
  // The version a transaction read, per summary table: a request whose loaders go through the
  // cache several times (a unit, its children, their counts …) reads it once.
  const read = new WeakMap<object, Map<string, Promise<VersionState | undefined>>>();
  const stateOf = (em: SqlEntityManager, versionTable: string) => {
    const run = () => em.execute<VersionState[]>(
      `select coalesce((select v.version from ${versionTable} v where v.tenant_id = platform.current_tenant()), 0)::text as version,
              current_setting('transaction_read_only') = 'on' as read_only`).then((rows) => rows[0]);
    const tx = em.getTransactionContext<object>();
    if (!tx) return run();
    let held = read.get(tx);
    if (!held) { held = new Map(); read.set(tx, held); }
    let state = held.get(versionTable);
    if (!state) { state = run(); held.set(versionTable, state); }
    return state;
  };
  return {
    get size() {
      let n = 0;
      for (const t of tenants.values()) n += t.entries.size;
      return n;
    },
    async through<V>(em: SqlEntityManager, versionTable: string, tenantId: string, context: string, keys: readonly string[], load: (missing: readonly string[]) => Promise<Map<string, V>>) {
      const state = await stateOf(em, versionTable);
      if (!state?.read_only) return load(keys);
      const version = BigInt(state.version);
      const tenantKey = `${versionTable}|${tenantId}`;
      let held = tenants.get(tenantKey);
      // A request that read an older version than one already seen (it started before the write
      // committed) computes its own figures and keeps none.
      if (held && held.version > version) return load(keys);
      if (!held || held.version < version) {
        held = { version, entries: new Map() };
        tenants.set(tenantKey, held);
      }
      const out = new Map<string, V>();
      const missing: string[] = [];
      for (const k of keys) {
        const hit = held.entries.get(`${context}|${k}`);
        if (hit !== undefined) out.set(k, hit as V); else missing.push(k);
      }
      if (missing.length > 0) {
        const loaded = await load(missing);
        if (held.entries.size + missing.length > entriesPerTenant) held.entries.clear();
        for (const k of missing) {
          if (!loaded.has(k)) continue;
          const value = loaded.get(k) as V;
          held.entries.set(`${context}|${k}`, value);
          out.set(k, value);
        }
      }
      return out;
    },
  };
}
