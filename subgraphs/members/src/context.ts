import type { SubgraphContext } from '@trellis/platform';
import type { Loaders } from './loaders.ts';
import { clearProcessLoaders } from './processLoaders.ts';

export type Context = SubgraphContext<Loaders>;

/** After a write, drop what this request has cached so the answer shows the new state. */
export function afterWrite(ctx: Context): void {
  ctx.em.clear();
  ctx.loaders.member.clearAll();
  ctx.loaders.history.clearAll();
  ctx.loaders.page.clearAll();
  ctx.loaders.statistics.clearAll();
  clearProcessLoaders(ctx.loaders);
  ctx.loaders.duesAccount.clearAll();
  ctx.loaders.duesPayments.clearAll();
  ctx.loaders.points.clearAll();
  ctx.loaders.ledgerSettings.clearAll();
}
