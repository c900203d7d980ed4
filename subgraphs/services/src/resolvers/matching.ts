import { badInput, isUuid, notFound, requireScope } from '@trellis/platform';
import type { Context } from '../context.ts';
import { PROXIMITY_POINTS } from '../domain/flow.ts';
import { RESOURCE_COLUMNS, type OrderRow, type ResourceRow } from '../loaders.ts';

export interface Candidate { resource: ResourceRow; score: number; proximity: number; load: number; satisfaction: number; availability: number; openOrders: number }

/** China Standard Time has no daylight saving: local time is UTC+8. */
const chinaTime = (d: Date) => new Date(d.getTime() + 8 * 3_600_000);

/**
 * Ranks the offers that could serve an order: active, covering the order's category (or one of
 * its parents), serving an area that contains the order's unit. Nearest in the tree first, then
 * by the sum of spare capacity, past satisfaction and availability now. One candidate per provider.
 */
export async function rankCandidates(ctx: Context, o: OrderRow, first: number): Promise<Candidate[]> {
  const local = chinaTime(ctx.now());
  const weekday = local.getUTCDay() === 0 ? 7 : local.getUTCDay();
  const hour = local.getUTCHours();
  const rows = await ctx.em.execute<(ResourceRow & { lca_kind: string | null; open_orders: number; avg_rating: number | null })[]>(
    `with ord as (select o.org_path, o.category_id from services.service_order o where o.id = ?),
          cats as (select c.id, c.parent_id, 0 as depth from services.category c join ord on c.id = ord.category_id),
          chain as (select id from cats
                    union select p.id from services.category p join services.category c on c.parent_id = p.id join ord on c.id = ord.category_id
                    union select g.id from services.category g join services.category p on p.parent_id = g.id join services.category c on c.parent_id = p.id join ord on c.id = ord.category_id),
          offers as (
            select ${RESOURCE_COLUMNS}, r.unit_path, ord.org_path from services.resource r, ord
             where r.active and r.serves_path @> ord.org_path and r.category_ids && array(select id from chain))
     select distinct on (coalesce(f.member_id, f.stationed_unit_id)) f.*,
            (select u.kind from services.unit_path u
              where u.path @> f.unit_path and u.path @> f.org_path order by nlevel(u.path) desc limit 1) as lca_kind,
            -- Load and satisfaction from the provider summaries (tenant-wide, see migration 003).
            coalesce((select ps.value::int from services.provider_stat ps
              where ps.provider_id = coalesce(f.member_id, f.stationed_unit_id)::uuid and ps.metric = 'open'), 0) as open_orders,
            (select sum(ps.value) filter (where ps.metric = 'rating_sum')::float8 / nullif(sum(ps.value) filter (where ps.metric = 'rating_n'), 0)
               from services.provider_stat ps
              where ps.provider_id = coalesce(f.member_id, f.stationed_unit_id)::uuid and ps.metric in ('rating_sum', 'rating_n')) as avg_rating
       from offers f
      order by coalesce(f.member_id, f.stationed_unit_id), nlevel(f.unit_path) desc, f.id`,
    [o.id],
  );
  const out = rows.map((r) => {
    const proximity = PROXIMITY_POINTS[r.lca_kind ?? ''] ?? 0;
    const load = Math.max(0, Math.round(20 * (1 - r.open_orders / r.capacity) * 100) / 100);
    const satisfaction = r.avg_rating == null ? 12 : Math.round(r.avg_rating * 4 * 100) / 100;
    const availability = r.weekdays.includes(weekday) && hour >= r.from_hour && hour < r.to_hour ? 20 : 0;
    const { lca_kind: _k, open_orders: _o, avg_rating: _a, ...resource } = r as typeof r & { unit_path?: string; org_path?: string };
    delete (resource as { unit_path?: string }).unit_path;
    delete (resource as { org_path?: string }).org_path;
    return { resource: resource as ResourceRow, proximity, load, satisfaction, availability, openOrders: r.open_orders, score: Math.round((proximity + load + satisfaction + availability) * 100) / 100 };
  });
  out.sort((a, b) => b.proximity - a.proximity || b.score - a.score || a.resource.id.localeCompare(b.resource.id));
  return out.slice(0, first);
}

export const matchingQueries = {
  async rankProviders(_: unknown, { orderId, first }: { orderId: string; first: number }, ctx: Context) {
    requireScope(ctx.principal, 'services:read');
    if (!Number.isInteger(first) || first < 1 || first > 50) throw badInput('`first` must be between 1 and 50.', 'first');
    if (!isUuid(orderId)) throw notFound('ServiceOrder', orderId);
    const o = await ctx.loaders.order.load(orderId);
    if (!o) throw notFound('ServiceOrder', orderId);
    return rankCandidates(ctx, o, first);
  },
};
