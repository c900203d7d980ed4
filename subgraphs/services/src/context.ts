import type { SubgraphContext } from '@trellis/platform';
import type { Loaders } from './loaders.ts';

export type Context = SubgraphContext<Loaders>;

/** After a write, drop what this request has cached so the answer shows the new state. */
export function afterWrite(ctx: Context): void {
  ctx.em.clear();
  for (const l of Object.values(ctx.loaders)) l.clearAll();
}
