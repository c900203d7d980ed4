import { notFound } from '@trellis/platform';
import type { SubgraphContext } from '@trellis/platform';
import type { Loaders } from './loaders.ts';

export type Context = SubgraphContext<Loaders>;

/** After a write, drop what this request has cached so the answer shows the new state. */
export function afterWrite(ctx: Context): void {
  ctx.em.clear();
  for (const loader of Object.values(ctx.loaders)) loader.clearAll();
}

/**
 * For non-null references: a loader answers null for rows row-level security hides, and the
 * contract promises a value, so the caller gets NOT_FOUND for that field instead of a broken null.
 */
export async function must<T>(value: Promise<T | null> | T | null, type: string, id: string): Promise<T> {
  const v = await value;
  if (v === null || v === undefined) throw notFound(type, id);
  return v;
}
