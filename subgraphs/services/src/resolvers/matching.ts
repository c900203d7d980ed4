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
 *
 * Every lookup is a uuid equality the planner may use under the row policies (no ltree operator
 * and no COALESCE in a condition: PostgreSQL counts both as possibly leaky and filters the
 * table instead of probing an index): the areas containing the order are its path's labels
 * (its ancestors' ids, the unit's own included), so the offers are found by serves_unit_id; the
 * lowest unit the provider and the order share is the deepest label their paths have in
 * common, read by primary key; the provider summaries are read by provider id.
 */
export async function rankCandidates(ctx: Context, o: OrderRow, first: number): Promise<Candidate[]> {
  const local = chinaTime(ctx.now());
  const weekday = local.getUTCDay() === 0 ? 7 : local.getUTCDay();
  const hour = local.getUTCHours();
  const rows = await ctx.em.execute<(ResourceRow & { lca_kind: string | null; open_orders: number; avg_rating: number | null })[]>(
    `with ord as (select string_to_array(o.org_path::text, '.')::uuid[] as labels, o.category_id from services.service_order o where o.id = ?),
          chain as (select c.id from services.category c join ord on c.id = ord.category_id
                    union select p.id from services.category p join services.category c on c.parent_id = p.id join ord on c.id = ord.category_id
                    union select g.id from services.category g join services.category p on p.parent_id = g.id join services.category c on c.parent_id = p.id join ord on c.id = ord.category_id),
          offers as materialized (
            select ${RESOURCE_COLUMNS}, case when r.member_id is not null then r.member_id else r.stationed_unit_id end as provider_id,
                   string_to_array(r.unit_path::text, '.')::uuid[] as unit_labels, ord.labels as order_labels
              from ord cross join lateral unnest(ord.labels) as area(unit_id)
              join services.resource r on r.tenant_id = platform.current_tenant() and r.serves_unit_id = area.unit_id and r.active
             where r.category_ids && array(select id from chain))
     select distinct on (f.provider_id) f.*,
            (select u.kind from unnest(f.unit_labels, f.order_labels) with ordinality as x(mine, theirs, depth)
               join services.unit_path u on u.tenant_id = platform.current_tenant() and u.unit_id = x.mine
              where x.mine = x.theirs order by x.depth desc limit 1) as lca_kind,
            -- Load and satisfaction from the provider summaries (tenant-wide, see migration 003).
            coalesce((select ps.value::int from services.provider_stat ps
              where ps.tenant_id = platform.current_tenant() and ps.provider_id = f.provider_id and ps.metric = 'open'), 0) as open_orders,
            (select sum(ps.value) filter (where ps.metric = 'rating_sum')::float8 / nullif(sum(ps.value) filter (where ps.metric = 'rating_n'), 0)
               from services.provider_stat ps
              where ps.tenant_id = platform.current_tenant() and ps.provider_id = f.provider_id and ps.metric in ('rating_sum', 'rating_n')) as avg_rating
       from offers f
      order by f.provider_id, cardinality(f.unit_labels) desc, f.id`,
    [o.id],
  );
  const out = rows.map((r) => {
    const proximity = PROXIMITY_POINTS[r.lca_kind ?? ''] ?? 0;
    const load = Math.max(0, Math.round(20 * (1 - r.open_orders / r.capacity) * 100) / 100);
    const satisfaction = r.avg_rating == null ? 12 : Math.round(r.avg_rating * 4 * 100) / 100;
    const availability = r.weekdays.includes(weekday) && hour >= r.from_hour && hour < r.to_hour ? 20 : 0;
    const { lca_kind: _k, open_orders: _o, avg_rating: _a, provider_id: _p, unit_labels: _u, order_labels: _l, ...resource } =
      r as typeof r & { provider_id: string; unit_labels: string[]; order_labels: string[] };
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
