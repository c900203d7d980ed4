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
   * The values of `keys` for a caller described by `context` (everything besides the unit that
   * decides the figures: tenant, scope, role, the day …): cached where computed at the tenant's
   * current summary version, the rest from `load` (which must return a value for every key it
   * can answer; a key it leaves out stays missing).
   */
  through<V>(em: SqlEntityManager, versionTable: string, context: string, keys: readonly string[], load: (missing: readonly string[]) => Promise<Map<string, V>>): Promise<Map<string, V>>;
  /** Entries held now (tests and the benchmark report it). */
  readonly size: number;
}

/** About a city's dashboard for two hundred principals and scopes; a unit's figures weigh a few kilobytes. */
const DEFAULT_ENTRIES = 10_000;

export function createSummaryCache(max = DEFAULT_ENTRIES): SummaryCache {
  const entries = new LRUCache<string, { value: unknown }>({ max });
  return {
    get size() { return entries.size; },
    async through<V>(em: SqlEntityManager, versionTable: string, context: string, keys: readonly string[], load: (missing: readonly string[]) => Promise<Map<string, V>>) {
      const [state] = await em.execute<{ version: string; read_only: boolean }[]>(
        `select coalesce((select v.version from ${versionTable} v where v.tenant_id = platform.current_tenant()), 0)::text as version,
                current_setting('transaction_read_only') = 'on' as read_only`);
      if (!state?.read_only) return load(keys);
      const prefix = `${versionTable}|${state.version}|${context}|`;
      const out = new Map<string, V>();
      const missing: string[] = [];
      for (const k of keys) {
        const hit = entries.get(prefix + k);
        if (hit) out.set(k, hit.value as V); else missing.push(k);
      }
      if (missing.length > 0) {
        const loaded = await load(missing);
        for (const k of missing) {
          if (!loaded.has(k)) continue;
          const value = loaded.get(k) as V;
          entries.set(prefix + k, { value });
          out.set(k, value);
        }
      }
      return out;
    },
  };
}
