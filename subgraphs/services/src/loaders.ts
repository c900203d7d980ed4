import DataLoader from 'dataloader';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { badInput, byIdLoader, createSummaryCache, groupLoader, groupRows, isUuid, sessionVariables, sqlArray, type Principal, type SummaryCache } from '@trellis/platform';

export type OrderState = 'SUBMITTED' | 'TRIAGED' | 'DISPATCHED' | 'POSTED' | 'ACCEPTED' | 'IN_PROGRESS' | 'DONE' | 'CLOSED' | 'CANCELLED';
export type WishState = 'COLLECTED' | 'VERIFIED' | 'POSTED' | 'CLAIMED' | 'FULFILLED' | 'CONFIRMED' | 'ARCHIVED';

/**
 * An order row as the resolvers see it, read from services.service_order_view: the service role
 * may read the resident's name and phone only there, as the caller may have them (migration 007).
 */
export interface OrderRow {
  id: string; tenant_id: string; unit_id: string; category_id: string; title: string; description: string | null;
  resident_name: string; resident_phone: string | null; channel: string; submitted_by: string; state: OrderState;
  provider_kind: 'MEMBER' | 'STATIONED_UNIT' | null; provider_member_id: string | null; provider_stationed_unit_id: string | null;
  provider_name: string | null; resource_id: string | null; submitted_at: Date; response_due: Date; completion_due: Date;
  accepted_at: Date | null; done_at: Date | null; closed_at: Date | null; hours: number | null; rating: number | null;
  rating_comment: string | null; escalation_level: number; escalated_to: string | null; overdue: boolean;
}
export const ORDER_COLUMNS = `o.id::text, o.tenant_id::text, o.unit_id::text, o.category_id::text, o.title, o.description, o.resident_name,
  o.resident_phone, o.channel, o.submitted_by, o.state, o.provider_kind, o.provider_member_id::text, o.provider_stationed_unit_id::text,
  o.provider_name, o.resource_id::text, o.submitted_at::text, o.response_due::text, o.completion_due::text, o.accepted_at::text, o.done_at::text, o.closed_at::text,
  o.hours::float8 as hours, o.rating::int as rating, o.rating_comment, o.escalation_level::int as escalation_level, o.escalated_to::text, o.overdue`;

/** A wish row, read from services.micro_wish_view (as for orders). */
export interface WishRow {
  id: string; tenant_id: string; unit_id: string; title: string; description: string | null; resident_name: string;
  resident_phone: string | null; state: WishState; claimed_by_member_id: string | null; collected_by: string;
  collected_at: Date; fulfilled_at: Date | null;
}
export const WISH_COLUMNS = `w.id::text, w.tenant_id::text, w.unit_id::text, w.title, w.description, w.resident_name, w.resident_phone,
  w.state, w.claimed_by_member_id::text, w.collected_by, w.collected_at::text, w.fulfilled_at::text`;

/**
 * Timestamps are selected as text (the ORM's driver returns them as text anyway) and turned
 * into Dates here, so every resolver and the DateTime scalar see real instants.
 */
function datesOf<T>(fields: readonly string[]) {
  return (row: T): T => {
    const r = row as Record<string, unknown>;
    for (const f of fields) if (typeof r[f] === 'string') r[f] = new Date((r[f] as string).replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
    return row;
  };
}
export const orderDates = datesOf<OrderRow>(['submitted_at', 'response_due', 'completion_due', 'accepted_at', 'done_at', 'closed_at']);
export const wishDates = datesOf<WishRow>(['collected_at', 'fulfilled_at']);
export const transitionDates = datesOf<TransitionRow>(['at']);

export interface CategoryRow { id: string; parent_id: string | null; level: number; code: string; name: string; response_hours: number; completion_hours: number; sort: number }
export const CATEGORY_COLUMNS = 'c.id::text, c.parent_id::text, c.level::int as level, c.code, c.name, c.response_hours, c.completion_hours, c.sort';

export interface ResourceRow {
  id: string; provider_kind: 'MEMBER' | 'STATIONED_UNIT'; member_id: string | null; stationed_unit_id: string | null; provider_name: string;
  unit_id: string; serves_unit_id: string; category_ids: string[]; capacity: number; weekdays: number[]; from_hour: number; to_hour: number;
  description: string | null; active: boolean;
}
export const RESOURCE_COLUMNS = `r.id::text, r.provider_kind, r.member_id::text, r.stationed_unit_id::text, r.provider_name, r.unit_id::text,
  r.serves_unit_id::text, r.category_ids::text[] as category_ids, r.capacity, r.weekdays::int[] as weekdays, r.from_hour::int as from_hour,
  r.to_hour::int as to_hour, r.description, r.active`;

export interface ProjectRow { id: string; name: string; description: string | null; lead_unit_id: string; supporting_unit_ids: string[]; owner_name: string; deadline: string; state: string }
export const PROJECT_COLUMNS = 'p.id::text, p.name, p.description, p.lead_unit_id::text, p.supporting_unit_ids::text[] as supporting_unit_ids, p.owner_name, p.deadline::text, p.state';

export interface TransitionRow { subject_id: string; from_state: string | null; to_state: string; action: string; actor: string; at: Date; note: string | null }
/** A reference to another subgraph's entity (OrgUnit, Member): only its id is known here. */
export interface EntityRef { id: string }
export interface StatRow { root_id: string; metric: string; value: number }

export interface PageArgs { first: number; after?: string | null; state?: OrderState | null }
export interface Page { rows: OrderRow[]; hasNextPage: boolean }
export interface WishArgs { first: number; state?: WishState | null }

export const encodeCursor = (o: { submitted_at: Date; id: string }) => Buffer.from(JSON.stringify([o.submitted_at.toISOString(), o.id])).toString('base64url');
function decodeCursor(c: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && isUuid(v[1])) return [v[0], v[1]];
  } catch { /* falls through */ }
  throw badInput('The cursor is not one this service issued; pass pageInfo.endCursor of the previous page as `after`.', 'after');
}

/**
 * A DataLoader keyed by owner (a unit or a member) and list arguments: keys with equal arguments
 * are fetched together, so each group costs one fetch whatever the number of owners.
 */
function ownerLoader<A, V>(fetch: (owners: string[], args: A) => Promise<(owner: string) => V>) {
  const keyOf = (k: { owner: string; args: A }) => `${k.owner}|${JSON.stringify(k.args)}`;
  return new DataLoader<{ owner: string; args: A }, V, string>(async (keys) => {
    const groups = new Map<string, { args: A; owners: string[] }>();
    for (const k of keys) {
      const g = JSON.stringify(k.args);
      const entry = groups.get(g) ?? { args: k.args, owners: [] };
      entry.owners.push(k.owner);
      groups.set(g, entry);
    }
    const results = new Map<string, V | Error>();
    for (const { args, owners } of groups.values()) {
      try {
        const of = await fetch(owners, args);
        for (const owner of owners) results.set(keyOf({ owner, args }), of(owner));
      } catch (e) {
        for (const owner of owners) results.set(keyOf({ owner, args }), e as Error);
      }
    }
    return keys.map((k) => results.get(keyOf(k))!);
  }, { cacheKeyFn: keyOf });
}

/** Pages of orders per owner, newest first; `fetch` returns up to first + 1 rows per owner. */
function pageLoader(fetch: (owners: string[], args: PageArgs) => Promise<(OrderRow & { owner_id: string })[]>) {
  return ownerLoader<PageArgs, Page>(async (owners, args) => {
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > 100) throw badInput('`first` must be between 1 and 100.', 'first');
    const rows = (await fetch(owners.filter(isUuid), args)).map((r) => orderDates(r) as typeof r);
    return (owner) => {
      const mine = rows.filter((r) => r.owner_id === owner.toLowerCase());
      return { rows: mine.slice(0, args.first), hasNextPage: mine.length > args.first };
    };
  });
}

function pageFilter(args: PageArgs, params: unknown[]): string {
  const where: string[] = [];
  if (args.state) { where.push('o.state = ?'); params.push(args.state); }
  if (args.after) {
    const [at, id] = decodeCursor(args.after);
    where.push('(o.submitted_at, o.id) < (?::timestamptz, ?::uuid)');
    params.push(at, id);
  }
  return where.map((w) => ` and ${w}`).join('');
}

/** A list of rows that hang off units (orders, wishes), read per subtree by `subtreeRows`. */
interface SubtreeList {
  /** The view and its alias: the policies under it decide which rows exist for the caller. */
  view: string;
  alias: string;
  columns: string;
  /** The list's order: newest first by this column, then by id (descending too). */
  at: string;
  /** subtree_stat counts the rows of each state under this metric prefix. */
  metric: string;
  states: readonly string[];
}
const ORDER_LIST: SubtreeList = {
  view: 'services.service_order_view', alias: 'o', columns: ORDER_COLUMNS, at: 'submitted_at', metric: 'state:',
  states: ['SUBMITTED', 'TRIAGED', 'DISPATCHED', 'POSTED', 'ACCEPTED', 'IN_PROGRESS', 'DONE', 'CLOSED', 'CANCELLED'] satisfies OrderState[],
};
const WISH_LIST: SubtreeList = {
  view: 'services.micro_wish_view', alias: 'w', columns: WISH_COLUMNS, at: 'collected_at', metric: 'wish:',
  states: ['COLLECTED', 'VERIFIED', 'POSTED', 'CLAIMED', 'FULFILLED', 'CONFIRMED', 'ARCHIVED'] satisfies WishState[],
};

/**
 * A subtree of more units than this is always walked. Reading by units costs an index descent
 * per unit, counted as two rows when the ways are compared.
 */
const MAX_UNITS = 1000;
const UNIT_COST = 2;

export interface LoaderOptions {
  /**
   * Subtrees holding at most this many orders (or wishes) are read by their units' ids, larger
   * ones newest first along the tenant's rows. Unset: whichever way is expected to read fewer rows.
   */
  smallSubtreeRows?: number;
  /** Where statistics are kept between requests (a running subgraph's; a fresh one otherwise). */
  cache?: SummaryCache;
}
/** How a row's subtree was read (each row says, for tests and for EXPLAIN-free diagnosis). */
export type ReadBy = 'units' | 'walk';

/**
 * The newest `limit` rows of each owner unit's subtree (after the filter), for any number of
 * owners in one statement. Under row-level security an ltree `<@` is not leakproof, so it is
 * never an index condition: reading a subtree by path scanned every row of the tenant. Instead:
 *
 * 1. Each owner's subtree is resolved first, with its row counts from the subtree summaries
 *    (primary-key reads). An administrator asking for a unit above their scope unit can see only
 *    the scope unit's subtree (the policies' rule), so that subtree is the one read.
 * 2. Then each subtree is read one of two ways, both on leakproof index conditions:
 *    - a small subtree by its units (a range of the path_key index): each unit's newest rows
 *      by uuid equality from the (tenant_id, unit_id, at DESC, id) index, at most a page per
 *      unit; only the page's rows are then read whole, by id;
 *    - a large one newest first along the (tenant_id[, state], at DESC, id DESC) indexes, the
 *      path test a filter that rejects few rows before the page is full.
 *    Reading by units costs at most the subtree's rows (of all states: the state is checked on
 *    the row) and a descent per unit; the walk about limit × the tenant's matching rows / the
 *    subtree's, at most the tenant's matching rows. The cheaper is chosen, unless
 *    `smallSubtreeRows` fixes the split. The policies still decide every row.
 *
 * One statement is planned once whatever the number of owners: neither way's plan depends on
 * the subtree's size, so nothing is gained by planning a statement per owner (which cost about
 * 2 ms of planning each, 20 ms for the streets of a district).
 */
async function subtreeRows<R>(
  em: SqlEntityManager, list: SubtreeList, owners: readonly string[],
  args: { limit: number; state?: string | null; after?: string | null }, smallSubtreeRows: number | undefined,
): Promise<(R & { owner_id: string })[]> {
  const a = list.alias;
  const all = list.states.map((s) => list.metric + s);
  const matching = args.state ? [list.metric + args.state] : all;
  const where: string[] = [];
  const filterParams: unknown[] = [];
  if (args.state) { where.push(`${a}.state = ?`); filterParams.push(args.state); }
  if (args.after) {
    const [at, id] = decodeCursor(args.after);
    where.push(`(${a}.${list.at}, ${a}.id) < (?::timestamptz, ?::uuid)`);
    filterParams.push(at, id);
  }
  const filter = where.map((w) => ` and ${w}`).join('');
  const newest = `order by ${a}.${list.at} desc, ${a}.id desc limit ?`;
  const select = (way: string) => `${list.columns}, ${a}.${list.at} as sort_at, ${a}.id as sort_id, '${way}'::text as read_by
    from ${list.view} ${a} where ${a}.tenant_id = platform.current_tenant()`;
  const forced = smallSubtreeRows ?? null;
  // By units, each unit is read on its own (LATERAL): given all the ids as `unit_id = any(…)`,
  // the planner often walked the tenant's newest rows instead, testing each against the ids (it
  // reckons a walked row as cheap as a unit's row, but every row read is also checked by the
  // policy). Only ids and times are read per unit; the page's rows are then read whole.
  // The walk's path test is written as the function behind `<@`: under row-level security the
  // planner may not read column statistics through a function that is not leakproof, so it
  // takes the operator for a fixed 0.5 % of the rows and, on a small table or past a cursor
  // deep in the list, reads and sorts the whole range instead of walking. A plain function call
  // is estimated at a third of the rows, nearer to a subtree large enough to be walked.
  return em.execute<(R & { owner_id: string })[]>(
    `with asked as materialized (
       select r.owner, coalesce(s.unit_id, u.unit_id) as root_id, coalesce(s.path, u.path) as path, coalesce(s.path_key, u.path_key) as path_key,
              subltree(u.path, 0, 1)::text::uuid as tenant_root
         from unnest(?::uuid[]) as r(owner)
         join services.unit_path u on u.tenant_id = platform.current_tenant() and u.unit_id = r.owner
         left join services.unit_path s on s.tenant_id = platform.current_tenant() and s.unit_id = platform.scope_label()::uuid
              and not services.viewer_is_member() and not platform.in_scope(u.path) and s.path <@ u.path),
     counted as materialized (
       select a.*, n.total as rows, t.matching * least(1, ?::float8 / greatest(n.matching, 1)) as walk
         from asked a
        cross join lateral (select coalesce(sum(v.value), 0)::float8 as total, coalesce(sum(v.value) filter (where v.metric = any(?::text[])), 0)::float8 as matching
                              from services.subtree_stat v
                             where v.tenant_id = platform.current_tenant() and v.ancestor_id = a.root_id and v.metric = any(?::text[])) n
        cross join lateral (select coalesce(sum(v.value), 0)::float8 as matching from services.subtree_stat v
                             where v.tenant_id = platform.current_tenant() and v.ancestor_id = a.tenant_root and v.metric = any(?::text[])) t),
     listed as materialized (
       select c.*, case when c.rows <= coalesce(?::float8, c.walk) then
                     array(select d.unit_id from services.unit_path d
                            where d.tenant_id = platform.current_tenant() and d.path_key >= c.path_key and d.path_key < c.path_key || '/' and d.path <@ c.path
                            limit ?)
                   end as units
         from counted c),
     chosen as materialized (
       select l.owner, l.path,
              case when cardinality(l.units) <= ? and (?::float8 is not null or l.rows + ? * cardinality(l.units) <= l.walk) then l.units end as units
         from listed l)
     select r.owner::text as owner_id, p.*
       from chosen r
      cross join lateral (
        (select v.* from (select q.id from unnest(r.units) as u(unit_id)
                            cross join lateral (select ${a}.${list.at} as at, ${a}.id from ${list.view} ${a}
                                                 where ${a}.tenant_id = platform.current_tenant() and ${a}.unit_id = u.unit_id${filter} ${newest}) q
                           order by q.at desc, q.id desc limit ?) top
           cross join lateral (select ${select('units')} and ${a}.id = top.id) v)
        union all
        (select ${select('walk')} and r.units is null and ltree_risparent(${a}.org_path, r.path)${filter} ${newest})) p
      order by r.owner, p.sort_at desc, p.sort_id desc`,
    [sqlArray(owners.filter(isUuid)), args.limit, sqlArray(matching), sqlArray(all), sqlArray(matching), forced, MAX_UNITS + 1,
      MAX_UNITS, forced, UNIT_COST, ...filterParams, args.limit, args.limit, ...filterParams, args.limit],
  );
}

/**
 * Summary rows (metrics matching `metricFilter`) of many units' subtrees. The unit whose summary
 * answers (the asked unit, or the caller's own scope unit when the asked one lies above it) is
 * worked out first, so the summary is read by its primary key instead of joined on an expression
 * (which scanned every summary row of the tenant). Bound parameter: the unit ids.
 */
const subtreeStatSql = (metricFilter: string) =>
  `with roots as materialized (
     select root.unit_id as root_id,
            case when platform.in_scope(root.path) then root.unit_id
                 when root.path @> (select p.path from services.unit_path p where p.unit_id = platform.scope_label()::uuid) then platform.scope_label()::uuid
            end as eff
       from services.unit_path root where root.unit_id = any(?::uuid[]))
   select roots.root_id::text as root_id, s.metric, s.value::float8 as value
     from roots join services.subtree_stat s on s.tenant_id = platform.current_tenant() and s.ancestor_id = roots.eff
    where ${metricFilter}`;

/** Per-request loaders: every relation and reference costs one statement per batch. */
export function createLoaders(em: SqlEntityManager, principal: Principal, _now: () => Date, opts: LoaderOptions = {}) {
  const ids = (xs: readonly string[]) => sqlArray(xs.filter(isUuid));
  const cache = opts.cache ?? createSummaryCache();
  // What a unit's statistics cover depends on the caller's scope (see subtreeStatSql).
  const statisticsContext = sessionVariables(principal)['app.scope_unit'];
  return {
    order: byIdLoader(async (keys) => (await em.execute<OrderRow[]>(`select ${ORDER_COLUMNS} from services.service_order_view o where o.id = any(?::uuid[])`, [ids(keys)])).map(orderDates), (o) => o.id),
    wish: byIdLoader(async (keys) => (await em.execute<WishRow[]>(`select ${WISH_COLUMNS} from services.micro_wish_view w where w.id = any(?::uuid[])`, [ids(keys)])).map(wishDates), (w) => w.id),
    category: byIdLoader((keys) => em.execute<CategoryRow[]>(`select ${CATEGORY_COLUMNS} from services.category c where c.id = any(?::uuid[])`, [ids(keys)]), (c) => c.id),
    resource: byIdLoader((keys) => em.execute<ResourceRow[]>(`select ${RESOURCE_COLUMNS} from services.resource r where r.id = any(?::uuid[])`, [ids(keys)]), (r) => r.id),
    orderTransitions: groupLoader(
      async (keys: readonly string[]) => (await em.execute<TransitionRow[]>(
        `select order_id::text as subject_id, from_state, to_state, action, actor, at::text, note from services.order_transition
          where order_id = any(?::uuid[]) order by id`, [ids(keys)])).map(transitionDates),
      (t) => t.subject_id,
    ),
    wishTransitions: groupLoader(
      async (keys: readonly string[]) => (await em.execute<TransitionRow[]>(
        `select wish_id::text as subject_id, from_state, to_state, action, actor, at::text, note from services.wish_transition
          where wish_id = any(?::uuid[]) order by id`, [ids(keys)])).map(transitionDates),
      (t) => t.subject_id,
    ),
    /**
     * Subtree statistics from the maintained subtree summaries: one row per metric, never the
     * orders. A unit above the caller's scope answers for the part the caller may see (its scope
     * unit's subtree); a unit elsewhere answers nothing. The close-time histogram (up to 107 rows
     * per unit, most of a unit's summary) is read apart, only for the median (`closeHours`).
     */
    statistics: new DataLoader<string, StatRow[]>(async (keys) => {
      const got = await cache.through(em, 'services.summary_version', principal.tenantId, statisticsContext, keys, async (missing) => {
        const rows = await em.execute<StatRow[]>(subtreeStatSql("left(s.metric, 12) <> 'close_hours:'"), [ids(missing)]);
        return groupRows(missing, rows, (r) => r.root_id);
      });
      return keys.map((k) => got.get(k) ?? []);
    }),
    closeHours: groupLoader((keys: readonly string[]) => em.execute<StatRow[]>(subtreeStatSql("left(s.metric, 12) = 'close_hours:'"), [ids(keys)]), (r) => r.root_id),
    /** Orders of a unit's subtree, newest first (see subtreeRows). */
    unitOrders: pageLoader((owners, args) =>
      subtreeRows<OrderRow>(em, ORDER_LIST, owners, { limit: args.first + 1, state: args.state, after: args.after }, opts.smallSubtreeRows)),
    /** Micro-wishes of a unit's subtree, newest first (see subtreeRows). */
    unitWishes: ownerLoader<WishArgs, WishRow[]>(async (owners, args) => {
      const rows = (await subtreeRows<WishRow>(em, WISH_LIST, owners, { limit: args.first, state: args.state }, opts.smallSubtreeRows)).map((r) => wishDates(r) as typeof r);
      return (owner) => rows.filter((r) => r.owner_id === owner.toLowerCase());
    }),
    /** Orders a member served, newest first. */
    memberOrders: pageLoader((owners, args) => {
      const params: unknown[] = [sqlArray(owners)];
      const filter = pageFilter(args, params);
      params.push(args.first + 1);
      return em.execute<(OrderRow & { owner_id: string })[]>(
        `select r.member_id::text as owner_id, p.* from unnest(?::uuid[]) as r(member_id)
           cross join lateral (select ${ORDER_COLUMNS} from services.service_order_view o
             where o.tenant_id = platform.current_tenant() and o.provider_member_id = r.member_id${filter}
             order by o.submitted_at desc, o.id desc limit ?) p`, params);
    }),
    /** Volunteer hours: hours served on closed orders, per member. */
    volunteerHours: new DataLoader<string, number>(async (keys) => {
      const rows = await em.execute<{ member_id: string; hours: number }[]>(
        `select provider_member_id::text as member_id, sum(hours)::float8 as hours from services.service_order
          where tenant_id = platform.current_tenant() and provider_member_id = any(?::uuid[]) and state = 'CLOSED' group by 1`, [ids(keys)]);
      const byId = new Map(rows.map((r) => [r.member_id, r.hours]));
      return keys.map((k) => byId.get(k) ?? 0);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
