// Bulk seed for the services subgraph (city-scale data). Fills the unit-path copy directly from
// the generated tree, installs the default catalogue, then writes offers, orders (≈1.5 per
// member, ≈90 % of older orders closed, realistic ratings) and micro-wishes through COPY into
// TEMP staging tables and one INSERT … SELECT each, so the statement-level triggers leave every
// per-unit summary exact when it returns.
import type pg from 'pg';
import { copyRows } from '@trellis/platform/db/copy.ts';
import { mulberry32, uuid } from '@trellis/platform/seed/prng.ts';
import { seedUnitCopy } from '@trellis/platform/seed/unitCopy.ts';
import { INSERT_CATALOGUE_SQL, catalogueColumns } from './domain/catalogue.ts';
import { ESCALATION_KINDS } from './domain/flow.ts';

import type { SeedInput, SeedMember, SeedUnit } from '@trellis/platform/seed/contract.ts';

export type { SeedInput, SeedMember, SeedUnit };


const HOUR = 3_600_000;
const TITLES = ['代购药品', '上门送餐', '水管维修', '邻里纠纷调解', '楼道清理', '作业辅导', '法律咨询', '楼道灯维修', '陪同就医', '政策咨询', '助浴服务', '家电维修'];
const WISHES = ['一台助听器', '一套课外读物', '冬季棉被', '一辆助行器', '上门理发', '一台电风扇', '学习用品一套', '一副老花镜'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const ORDERS_PER_MEMBER = 1.5;

export async function seed(input: SeedInput): Promise<void> {
  const { client, tenantId, now, units, members, progress } = input;
  // Each tenant its own stream: tenants seeded with one seed never share ids.
  const rand = mulberry32((input.seed ^ 0x5e41ce ^ Number.parseInt(tenantId.replace(/-/g, '').slice(0, 8), 16)) >>> 0);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  await client.query('BEGIN');
  try {
    await client.query(`select set_config('app.tenant_id', $1, true), set_config('app.scope_unit', '', true)`, [tenantId]);

    // 1. The unit-path copy, straight from the tree; the follower resumes after organisationSeq.
    await seedUnitCopy(client, 'services', input);

    // 2. The default catalogue, unless the tenant has one.
    if (!(await client.query('select 1 from services.category where tenant_id = $1 limit 1', [tenantId])).rowCount) {
      const c = catalogueColumns(() => uuid(rand));
      await client.query(INSERT_CATALOGUE_SQL, [tenantId, c.ids, c.parents, c.levels, c.codes, c.names, c.responseHours, c.completionHours, c.sort]);
    }
    const { rows: items } = await client.query<{ id: string; parent_id: string; response_hours: number; completion_hours: number }>(
      'select id::text, parent_id::text, response_hours, completion_hours from services.category where tenant_id = $1 and level = 3 order by code', [tenantId]);
    if (!items.length || !members.length) { await client.query('COMMIT'); return; }

    const byId = new Map(units.map((u) => [u.id, u]));
    /** The nearest unit of one of `kinds` at or above `unitId`. */
    const ancestorOf = (unitId: string, kinds: readonly string[]): string | null => {
      for (let u = byId.get(unitId); u; u = u.parentId ? byId.get(u.parentId) : undefined) if (kinds.includes(u.kind)) return u.id;
      return null;
    };
    const communityOf = (unitId: string): string => ancestorOf(unitId, ESCALATION_KINDS[1]) ?? unitId;
    // Residents live below the grids; orders come from a member's unit or one of its building groups.
    const children = new Map<string, string[]>();
    for (const u of units) if (u.parentId && (u.kind === 'BUILDING_GROUP' || u.kind === 'VILLAGE_GROUP')) children.set(u.parentId, [...(children.get(u.parentId) ?? []), u.id]);

    // 3. Offers: one in twenty members offers a sub-category in their community.
    const offerers = members.filter(() => rand() < 0.05);
    await copyRows(client, 'services.resource',
      ['id', 'tenant_id', 'provider_kind', 'member_id', 'provider_name', 'unit_id', 'unit_path', 'serves_unit_id', 'serves_path', 'category_ids', 'capacity', 'created_at'],
      offerers.map((m) => {
        const community = communityOf(m.orgUnitId);
        return [uuid(rand), tenantId, 'MEMBER', m.id, '党员志愿者', m.orgUnitId, byId.get(m.orgUnitId)?.path ?? '', community, byId.get(community)?.path ?? '',
          `{${pick(items).parent_id}}`, 1 + Math.floor(rand() * 5), new Date(now.getTime() - 400 * 24 * HOUR).toISOString()];
      }), progress);

    // 4. Orders: ≈1.5 per member over the past year.
    // Times travel as epoch milliseconds and become timestamps in PostgreSQL: formatting six
    // dates per order in JavaScript cost more than generating the order.
    await client.query(`CREATE TEMP TABLE seed_order (id uuid, unit_id uuid, category_id uuid, title text, resident_name text, resident_phone text,
      channel text, state text, provider_member_id uuid, submitted_ms bigint, response_ms bigint, completion_ms bigint,
      accepted_ms bigint, done_ms bigint, closed_ms bigint, hours numeric, rating smallint, overdue boolean,
      escalation_level smallint, escalated_to uuid) ON COMMIT DROP`);
    const total = Math.round(members.length * ORDERS_PER_MEMBER);
    const channels = ['RESIDENT', 'GRID_WORKER', 'GRID_WORKER', 'ON_BEHALF'];
    function* orders() {
      for (let i = 0; i < total; i++) {
        const m = members[Math.floor(rand() * members.length)]!;
        const below = children.get(m.orgUnitId);
        const unit = below && rand() < 0.7 ? pick(below) : m.orgUnitId;
        const cat = pick(items);
        const ageHours = rand() * 365 * 24;
        const submitted = now.getTime() - ageHours * HOUR;
        const responseDue = submitted + cat.response_hours * HOUR;
        const completionDue = submitted + cat.completion_hours * HOUR;
        const old = ageHours > 14 * 24;
        const roll = rand();
        // Older orders: ≈90 % closed, a few cancelled or still open; recent ones spread over the flow.
        const state = old
          ? (roll < 0.9 ? 'CLOSED' : roll < 0.94 ? 'CANCELLED' : roll < 0.97 ? 'DONE' : 'IN_PROGRESS')
          : (roll < 0.55 ? 'CLOSED' : roll < 0.62 ? 'DONE' : roll < 0.7 ? 'IN_PROGRESS' : roll < 0.78 ? 'ACCEPTED' : roll < 0.84 ? 'POSTED' : roll < 0.9 ? 'TRIAGED' : roll < 0.97 ? 'SUBMITTED' : 'CANCELLED');
        const taken = ['ACCEPTED', 'IN_PROGRESS', 'DONE', 'CLOSED'].includes(state);
        const accepted = taken ? Math.min(now.getTime(), submitted + rand() * cat.response_hours * 1.2 * HOUR) : null;
        const done = state === 'DONE' || state === 'CLOSED' ? Math.min(now.getTime(), accepted! + (0.5 + rand() * 0.95) * (completionDue - accepted!)) : null;
        const closed = state === 'CLOSED' ? Math.min(now.getTime(), done! + rand() * 48 * HOUR) : null;
        const r = rand();
        const rating = state === 'CLOSED' ? (r < 0.62 ? 5 : r < 0.86 ? 4 : r < 0.95 ? 3 : r < 0.99 ? 2 : 1) : null;
        const open = !['DONE', 'CLOSED', 'CANCELLED'].includes(state);
        // Overdue orders stand where the five-minute sweep has left them: escalated to the street
        // once the completion deadline has passed, to the community when nobody took the order in time.
        const level = !open ? 0 : now.getTime() > completionDue ? 2 : !taken && now.getTime() > responseDue ? 1 : 0;
        const overdue = level > 0;
        const escalatedTo = level > 0 ? ancestorOf(unit, ESCALATION_KINDS[level as 1 | 2]) : null;
        const ms = (t: number | null) => (t == null ? null : Math.round(t));
        yield [uuid(rand), unit, cat.id, pick(TITLES), `${pick(SURNAMES)}${rand() < 0.5 ? '阿姨' : '师傅'}`, `139${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`,
          pick(channels), state, taken ? m.id : null, ms(submitted), ms(responseDue), ms(completionDue), ms(accepted), ms(done), ms(closed),
          done ? (Math.round((0.5 + rand() * 3.5) * 2) / 2) : null, rating, overdue, level, escalatedTo] as (string | number | boolean | null)[];
      }
    }
    await copyRows(client, 'seed_order', ['id', 'unit_id', 'category_id', 'title', 'resident_name', 'resident_phone', 'channel', 'state', 'provider_member_id',
      'submitted_ms', 'response_ms', 'completion_ms', 'accepted_ms', 'done_ms', 'closed_ms', 'hours', 'rating', 'overdue', 'escalation_level', 'escalated_to'], orders(), progress);
    // Per-row triggers (path lookup, foreign-key checks) and the statement-level summary triggers
    // are off for the load; the rows are consistent by construction and the summaries are built
    // once below from the staged rows. A load bigger than the table drops its secondary indexes
    // and builds them again afterwards (one build beats a million index insertions).
    await client.query('SET LOCAL session_replication_role = replica');
    const rebuild = [...await secondaryIndexes(client, 'services.service_order', total), ...await secondaryIndexes(client, 'services.order_transition', total)];
    for (const ix of rebuild) await client.query(`drop index ${ix.name}`);
    const at = (c: string) => `to_timestamp(s.${c} / 1000.0)`;
    await client.query(
      `insert into services.service_order (id, tenant_id, unit_id, org_path, category_id, title, resident_name, resident_phone, channel, submitted_by, state,
         provider_kind, provider_member_id, provider_name, submitted_at, response_due, completion_due, accepted_at, done_at, closed_at, hours, rating, overdue,
         escalation_level, escalated_to, posted_at, updated_at)
       select s.id, $1, s.unit_id, u.path, s.category_id, s.title, s.resident_name, s.resident_phone, s.channel, 'seed', s.state,
              case when s.provider_member_id is not null then 'MEMBER' end, s.provider_member_id, case when s.provider_member_id is not null then '党员志愿者' end,
              ${at('submitted_ms')}, ${at('response_ms')}, ${at('completion_ms')}, ${at('accepted_ms')}, ${at('done_ms')}, ${at('closed_ms')}, s.hours, s.rating, s.overdue,
              s.escalation_level, s.escalated_to, case when s.state = 'POSTED' then ${at('submitted_ms')} end,
              to_timestamp(coalesce(s.closed_ms, s.done_ms, s.accepted_ms, s.submitted_ms) / 1000.0)
         from seed_order s join services.unit_path u on u.tenant_id = $1 and u.unit_id = s.unit_id`, [tenantId]);
    // Every order carries its history's last step (who: the seed; from which state: unknown).
    await client.query(
      `insert into services.order_transition (tenant_id, order_id, from_state, to_state, action, actor, at, note)
       select $1, id, null, state, 'import', 'seed', to_timestamp(coalesce(closed_ms, done_ms, accepted_ms, submitted_ms) / 1000.0), 'imported' from seed_order`, [tenantId]);
    if (rebuild.length) await client.query(`set local maintenance_work_mem = '512MB'`);
    for (const ix of rebuild) await client.query(ix.def);
    progress(total);

    // 5. Micro-wishes: one for every twenty members.
    const wishStates = ['COLLECTED', 'VERIFIED', 'POSTED', 'CLAIMED', 'FULFILLED', 'CONFIRMED', 'ARCHIVED', 'ARCHIVED', 'ARCHIVED'];
    const wishes = Math.max(1, Math.round(members.length / 20));
    await client.query(`CREATE TEMP TABLE seed_wish (id uuid, unit_id uuid, title text, resident_name text, state text, claimed_by uuid,
      collected_at timestamptz, fulfilled_at timestamptz) ON COMMIT DROP`);
    function* wishRows() {
      for (let i = 0; i < wishes; i++) {
        const m = members[Math.floor(rand() * members.length)]!;
        const state = pick(wishStates);
        const collected = now.getTime() - rand() * 300 * 24 * HOUR;
        const claimed = !['COLLECTED', 'VERIFIED', 'POSTED'].includes(state);
        const fulfilled = ['FULFILLED', 'CONFIRMED', 'ARCHIVED'].includes(state) ? Math.min(now.getTime(), collected + rand() * 30 * 24 * HOUR) : null;
        yield [uuid(rand), m.orgUnitId, pick(WISHES), `${pick(SURNAMES)}奶奶`, state, claimed ? m.id : null, new Date(collected).toISOString(),
          fulfilled == null ? null : new Date(fulfilled).toISOString()] as (string | number | boolean | null)[];
      }
    }
    await copyRows(client, 'seed_wish', ['id', 'unit_id', 'title', 'resident_name', 'state', 'claimed_by', 'collected_at', 'fulfilled_at'], wishRows(), progress);
    const rebuildWishes = [...await secondaryIndexes(client, 'services.micro_wish', wishes), ...await secondaryIndexes(client, 'services.wish_transition', wishes)];
    for (const ix of rebuildWishes) await client.query(`drop index ${ix.name}`);
    await client.query(
      `insert into services.micro_wish (id, tenant_id, unit_id, org_path, title, resident_name, state, claimed_by_member_id, collected_by, collected_at, fulfilled_at, updated_at)
       select s.id, $1, s.unit_id, u.path, s.title, s.resident_name, s.state, s.claimed_by, 'seed', s.collected_at, s.fulfilled_at, coalesce(s.fulfilled_at, s.collected_at)
         from seed_wish s join services.unit_path u on u.tenant_id = $1 and u.unit_id = s.unit_id`, [tenantId]);
    await client.query(
      `insert into services.wish_transition (tenant_id, wish_id, from_state, to_state, action, actor, at, note)
       select $1, id, null, state, 'import', 'seed', coalesce(fulfilled_at, collected_at), 'imported' from seed_wish`, [tenantId]);
    for (const ix of rebuildWishes) await client.query(ix.def);
    await buildSummaries(client, tenantId);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
  await client.query('analyze services.service_order; analyze services.micro_wish; analyze services.order_transition; analyze services.unit_stat; analyze services.subtree_stat; analyze services.provider_stat');
}

/** Secondary indexes of `table` worth dropping for a load of `rows` (more than it holds, and many). */
async function secondaryIndexes(client: pg.Client, table: string, rows: number): Promise<{ name: string; def: string }[]> {
  const existing = Number((await client.query<{ n: string }>(`select greatest(reltuples, 0)::bigint::text as n from pg_class where oid = $1::regclass`, [table])).rows[0]!.n);
  if (rows <= Math.max(10_000, existing)) return [];
  return (await client.query<{ name: string; def: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
      where i.indrelid = $1::regclass and not i.indisprimary and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`, [table])).rows;
}

/**
 * What the statement-level triggers would have added for the staged orders and wishes: per-unit
 * summaries (the metrics of order_metrics and wish_metrics, computed here from the staged rows in
 * one grouped pass), subtree summaries rolled up one tree level at a time (a unit's subtree is its
 * own rows plus its children's subtrees, so no row is expanded to all its ancestors), and the
 * per-provider figures of provider_metrics. Added to whatever is already there.
 */
async function buildSummaries(client: pg.Client, tenantId: string): Promise<void> {
  await client.query(
    `create temp table seed_own on commit drop as
     select unit_id, metric, sum(v)::bigint as v from (
       select unit_id, 'state:' || state as metric, count(*) as v from seed_order group by 1, 2
       union all select unit_id, 'closed', count(*) from seed_order where state = 'CLOSED' group by 1
       union all select unit_id, 'closed_on_time', count(*) from seed_order where state = 'CLOSED' and done_ms <= completion_ms group by 1
       union all select unit_id, 'rating_sum', sum(rating) from seed_order where state = 'CLOSED' group by 1
       union all select unit_id, 'rating_n', count(*) from seed_order where state = 'CLOSED' group by 1
       union all select unit_id, 'close_hours:' || services.close_hours_bucket((closed_ms - submitted_ms) / 3600000.0), count(*) from seed_order where state = 'CLOSED' group by 1, 2
       union all select unit_id, 'overdue', count(*) from seed_order where overdue and state not in ('DONE', 'CLOSED', 'CANCELLED') group by 1
       union all select unit_id, 'wish:' || state, count(*) from seed_wish group by 1, 2
       union all select unit_id, 'wishes_fulfilled', count(*) from seed_wish where state in ('FULFILLED', 'CONFIRMED', 'ARCHIVED') group by 1
     ) x where v is not null group by 1, 2`);
  await client.query(
    `insert into services.unit_stat as x (tenant_id, unit_id, metric, value) select $1, unit_id, metric, v from seed_own
     on conflict (tenant_id, unit_id, metric) do update set value = x.value + excluded.value`, [tenantId]);
  await client.query(
    `create temp table seed_tree on commit drop as select unit_id, parent_id, nlevel(path) as depth from services.unit_path where tenant_id = $1`, [tenantId]);
  await client.query('create temp table seed_sub (unit_id uuid, depth int, metric text, v bigint) on commit drop');
  const deepest = Number((await client.query<{ d: number }>('select coalesce(max(depth), 0)::int as d from seed_tree')).rows[0]!.d);
  for (let depth = deepest; depth >= 1; depth--) {
    await client.query(
      `insert into seed_sub (unit_id, depth, metric, v)
       select unit_id, $1, metric, sum(v) from (
         select o.unit_id, o.metric, o.v from seed_own o join seed_tree t on t.unit_id = o.unit_id and t.depth = $1
         union all
         select t.parent_id, s.metric, s.v from seed_sub s join seed_tree t on t.unit_id = s.unit_id where s.depth = $1 + 1
       ) x group by 1, 3`, [depth]);
  }
  await client.query(
    `insert into services.subtree_stat as x (tenant_id, ancestor_id, metric, value) select $1, unit_id, metric, v from seed_sub where v <> 0
     on conflict (tenant_id, ancestor_id, metric) do update set value = x.value + excluded.value`, [tenantId]);
  await client.query(
    `insert into services.provider_stat as x (tenant_id, provider_id, metric, value)
     select $1, provider_member_id, metric, sum(v) from (
       select provider_member_id, 'open' as metric, count(*) as v from seed_order where state in ('DISPATCHED', 'ACCEPTED', 'IN_PROGRESS') and provider_member_id is not null group by 1
       union all select provider_member_id, 'rating_sum', sum(rating) from seed_order where state = 'CLOSED' and provider_member_id is not null group by 1
       union all select provider_member_id, 'rating_n', count(*) from seed_order where state = 'CLOSED' and provider_member_id is not null group by 1
     ) x where v is not null group by 2, 3
     on conflict (tenant_id, provider_id, metric) do update set value = x.value + excluded.value`, [tenantId]);
}
