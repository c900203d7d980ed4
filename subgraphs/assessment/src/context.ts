import { notFound } from '@trellis/platform';
import type { SubgraphContext } from '@trellis/platform';
import type { Loaders } from './loaders.ts';

export type Context = SubgraphContext<Loaders>;

/** After a write, drop what this request has cached so the answer shows the new state. */
export function afterWrite(ctx: Context): void {
  ctx.em.clear();
  for (const [name, loader] of Object.entries(ctx.loaders)) {
    if (name !== 'metrics' && 'clearAll' in loader) loader.clearAll();
  }
}

/** A row the schema promises (a non-null field): NOT_FOUND rather than a null the client cannot use. */
export async function must<T>(row: Promise<T | null> | T | null, type: string, id: string): Promise<T> {
  const r = await row;
  if (r === null) throw notFound(type, id);
  return r;
}
