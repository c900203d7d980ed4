import DataLoader from 'dataloader';

/**
 * A per-request loader fetching many rows by id in one statement (`WHERE id = ANY(...)`).
 * Missing ids (absent, another tenant's, outside scope) resolve to null.
 */
export function byIdLoader<T>(fetch: (ids: readonly string[]) => Promise<T[]>, idOf: (row: T) => string): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await fetch(ids);
    const byId = new Map(rows.map((r) => [idOf(r), r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** `keys`, each with the rows whose `keyOf` names it (a key no row names: an empty list). */
export function groupRows<T>(keys: readonly string[], rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const out = new Map(keys.map((k) => [k, [] as T[]]));
  for (const r of rows) out.get(keyOf(r))?.push(r);
  return out;
}

/** A per-request loader fetching the rows of many groups (e.g. children of many parents) in one statement. */
export function groupLoader<K, T>(fetch: (keys: readonly K[]) => Promise<T[]>, keyOf: (row: T) => K, cacheKeyFn?: (k: K) => unknown): DataLoader<K, T[]> {
  return new DataLoader<K, T[], unknown>(async (keys) => {
    const rows = await fetch(keys);
    const groups = new Map<unknown, T[]>();
    const norm = cacheKeyFn ?? ((k: K) => k);
    for (const r of rows) {
      const k = norm(keyOf(r));
      const g = groups.get(k);
      if (g) g.push(r); else groups.set(k, [r]);
    }
    return keys.map((k) => groups.get(norm(k)) ?? []);
  }, cacheKeyFn ? { cacheKeyFn } : undefined);
}

