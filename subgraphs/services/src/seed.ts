// Bulk seed for the services subgraph (city-scale data). Fills the unit-path copy directly from
// the generated tree, installs the default catalogue, then writes offers, orders (≈1.5 per
// member, ≈90 % of older orders closed, realistic ratings) and micro-wishes through COPY into
// TEMP staging tables and one INSERT … SELECT each, so the statement-level triggers leave every
// per-unit summary exact when it returns.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { INSERT_CATALOGUE_SQL, catalogueColumns } from './domain/catalogue.ts';

export interface SeedUnit { id: string; parentId: string | null; kind: string; path: string; depth: number; name: string }
export interface SeedMember { id: string; orgUnitId: string; categories: string[]; reportedInCommunity: string | null; birthDate: string; stage: string }
export interface SeedInput {
  client: pg.Client;
  tenantId: string;
  seed: number;
  now: Date;
  profile: 'demo' | 'district' | 'city-1m';
  units: SeedUnit[];
  members: SeedMember[];
  organisationSeq: number;
  progress: (rows: number) => void;
}

/** mulberry32: small, fast, seeded; the same seed gives the same data. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** A UUID from the seeded generator (version 4 layout), so reruns with the same seed match. */
function seededUuid(rand: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  h[12] = '4';
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

const HOUR = 3_600_000;
const TITLES = ['代购药品', '上门送餐', '水管维修', '邻里纠纷调解', '楼道清理', '作业辅导', '法律咨询', '楼道灯维修', '陪同就医', '政策咨询', '助浴服务', '家电维修'];
const WISHES = ['一台助听器', '一套课外读物', '冬季棉被', '一辆助行器', '上门理发', '一台电风扇', '学习用品一套', '一副老花镜'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const ORDERS_PER_MEMBER = 1.5;
const CHUNK = 20_000;

/** Text-format COPY field: `\N` for null; generated values hold no tabs, newlines or backslashes. */
const field = (v: string | number | boolean | null | undefined) => (v == null ? '\\N' : String(v));

async function copyRows(client: pg.Client, table: string, columns: string[], rows: Iterable<(string | number | boolean | null)[]>, progress: (n: number) => void): Promise<void> {
  const stream = client.query(copyStreams.from(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  async function* lines() {
    let buf: string[] = [];
    for (const r of rows) {
      buf.push(`${r.map(field).join('\t')}\n`);
      if (buf.length >= CHUNK) { yield buf.join(''); progress(buf.length); buf = []; }
    }
    if (buf.length) { yield buf.join(''); progress(buf.length); }
  }
  await pipeline(Readable.from(lines()), stream);
}

export async function seed(input: SeedInput): Promise<void> {
  const { client, tenantId, now, units, members, progress } = input;
  // Each tenant its own stream: tenants seeded with one seed never share ids.
  const rand = rng((input.seed ^ 0x5e41ce ^ Number.parseInt(tenantId.replace(/-/g, '').slice(0, 8), 16)) >>> 0);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  await client.query('BEGIN');
  try {
    await client.query(`select set_config('app.tenant_id', $1, true), set_config('app.scope_unit', '', true)`, [tenantId]);

    // 1. The unit-path copy, straight from the tree; the follower resumes after organisationSeq.
    await client.query('CREATE TEMP TABLE seed_unit (unit_id uuid, parent_id uuid, kind text, name text, path ltree) ON COMMIT DROP');
    await copyRows(client, 'seed_unit', ['unit_id', 'parent_id', 'kind', 'name', 'path'], units.map((u) => [u.id, u.parentId, u.kind, u.name, u.path]), progress);
    await client.query(
      `insert into services.unit_path (tenant_id, unit_id, parent_id, kind, name, status, path, last_seq)
       select $1, unit_id, parent_id, kind, name, 'ACTIVE', path, $2 from seed_unit
       on conflict (tenant_id, unit_id) do update set parent_id = excluded.parent_id, kind = excluded.kind, name = excluded.name,
         path = excluded.path, last_seq = greatest(services.unit_path.last_seq, excluded.last_seq)`, [tenantId, input.organisationSeq]);
    await client.query(
      `insert into services.unit_event_cursor (tenant_id, last_seq) values ($1, $2)
       on conflict (tenant_id) do update set last_seq = greatest(services.unit_event_cursor.last_seq, excluded.last_seq)`, [tenantId, input.organisationSeq]);
    await client.query(
      `insert into events.subscription (subscriber, topic, tenant_id, last_seq) values ('services', 'organisation', $1, $2)
       on conflict (subscriber, topic, tenant_id) do update set last_seq = greatest(events.subscription.last_seq, excluded.last_seq), updated_at = now()`,
      [tenantId, input.organisationSeq]);

    // 2. The default catalogue, unless the tenant has one.
    if (!(await client.query('select 1 from services.category where tenant_id = $1 limit 1', [tenantId])).rowCount) {
      const c = catalogueColumns(() => seededUuid(rand));
      await client.query(INSERT_CATALOGUE_SQL, [tenantId, c.ids, c.parents, c.levels, c.codes, c.names, c.responseHours, c.completionHours, c.sort]);
    }
    const { rows: items } = await client.query<{ id: string; parent_id: string; response_hours: number; completion_hours: number }>(
      'select id::text, parent_id::text, response_hours, completion_hours from services.category where tenant_id = $1 and level = 3 order by code', [tenantId]);
    if (!items.length || !members.length) { await client.query('COMMIT'); return; }

    const byId = new Map(units.map((u) => [u.id, u]));
    const communityOf = (unitId: string): string => {
      for (let u = byId.get(unitId); u; u = u.parentId ? byId.get(u.parentId) : undefined) if (u.kind === 'COMMUNITY' || u.kind === 'VILLAGE') return u.id;
      return unitId;
    };
    // Residents live below the grids; orders come from a member's unit or one of its building groups.
    const children = new Map<string, string[]>();
    for (const u of units) if (u.parentId && (u.kind === 'BUILDING_GROUP' || u.kind === 'VILLAGE_GROUP')) children.set(u.parentId, [...(children.get(u.parentId) ?? []), u.id]);

    // 3. Offers: one in twenty members offers a sub-category in their community.
    const offerers = members.filter(() => rand() < 0.05);
    await copyRows(client, 'services.resource',
      ['id', 'tenant_id', 'provider_kind', 'member_id', 'provider_name', 'unit_id', 'unit_path', 'serves_unit_id', 'serves_path', 'category_ids', 'capacity', 'created_at'],
      offerers.map((m) => {
        const community = communityOf(m.orgUnitId);
        return [seededUuid(rand), tenantId, 'MEMBER', m.id, '党员志愿者', m.orgUnitId, byId.get(m.orgUnitId)?.path ?? '', community, byId.get(community)?.path ?? '',
          `{${pick(items).parent_id}}`, 1 + Math.floor(rand() * 5), new Date(now.getTime() - 400 * 24 * HOUR).toISOString()];
      }), progress);

    // 4. Orders: ≈1.5 per member over the past year.
    await client.query(`CREATE TEMP TABLE seed_order (id uuid, unit_id uuid, category_id uuid, title text, resident_name text, resident_phone text,
      channel text, state text, provider_member_id uuid, submitted_at timestamptz, response_due timestamptz, completion_due timestamptz,
      accepted_at timestamptz, done_at timestamptz, closed_at timestamptz, hours numeric, rating smallint, overdue boolean) ON COMMIT DROP`);
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
        const overdue = open && (now.getTime() > completionDue || (!taken && now.getTime() > responseDue));
        const iso = (t: number | null) => (t == null ? null : new Date(t).toISOString());
        yield [seededUuid(rand), unit, cat.id, pick(TITLES), `${pick(SURNAMES)}${rand() < 0.5 ? '阿姨' : '师傅'}`, `139${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`,
          pick(channels), state, taken ? m.id : null, iso(submitted), iso(responseDue), iso(completionDue), iso(accepted), iso(done), iso(closed),
          done ? (Math.round((0.5 + rand() * 3.5) * 2) / 2) : null, rating, overdue] as (string | number | boolean | null)[];
      }
    }
    await copyRows(client, 'seed_order', ['id', 'unit_id', 'category_id', 'title', 'resident_name', 'resident_phone', 'channel', 'state', 'provider_member_id',
      'submitted_at', 'response_due', 'completion_due', 'accepted_at', 'done_at', 'closed_at', 'hours', 'rating', 'overdue'], orders(), progress);
    await client.query(
      `insert into services.service_order (id, tenant_id, unit_id, org_path, category_id, title, resident_name, resident_phone, channel, submitted_by, state,
         provider_kind, provider_member_id, provider_name, submitted_at, response_due, completion_due, accepted_at, done_at, closed_at, hours, rating, overdue, updated_at)
       select s.id, $1, s.unit_id, u.path, s.category_id, s.title, s.resident_name, s.resident_phone, s.channel, 'seed', s.state,
              case when s.provider_member_id is not null then 'MEMBER' end, s.provider_member_id, case when s.provider_member_id is not null then '党员志愿者' end,
              s.submitted_at, s.response_due, s.completion_due, s.accepted_at, s.done_at, s.closed_at, s.hours, s.rating, s.overdue,
              coalesce(s.closed_at, s.done_at, s.accepted_at, s.submitted_at)
         from seed_order s join services.unit_path u on u.tenant_id = $1 and u.unit_id = s.unit_id`, [tenantId]);
    // Every order carries its history's last step (who: the seed; from which state: unknown).
    await client.query(
      `insert into services.order_transition (tenant_id, order_id, from_state, to_state, action, actor, at, note)
       select $1, id, null, state, 'import', 'seed', coalesce(closed_at, done_at, accepted_at, submitted_at), 'imported' from seed_order`, [tenantId]);
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
        yield [seededUuid(rand), m.orgUnitId, pick(WISHES), `${pick(SURNAMES)}奶奶`, state, claimed ? m.id : null, new Date(collected).toISOString(),
          fulfilled == null ? null : new Date(fulfilled).toISOString()] as (string | number | boolean | null)[];
      }
    }
    await copyRows(client, 'seed_wish', ['id', 'unit_id', 'title', 'resident_name', 'state', 'claimed_by', 'collected_at', 'fulfilled_at'], wishRows(), progress);
    await client.query(
      `insert into services.micro_wish (id, tenant_id, unit_id, org_path, title, resident_name, state, claimed_by_member_id, collected_by, collected_at, fulfilled_at, updated_at)
       select s.id, $1, s.unit_id, u.path, s.title, s.resident_name, s.state, s.claimed_by, 'seed', s.collected_at, s.fulfilled_at, coalesce(s.fulfilled_at, s.collected_at)
         from seed_wish s join services.unit_path u on u.tenant_id = $1 and u.unit_id = s.unit_id`, [tenantId]);
    await client.query(
      `insert into services.wish_transition (tenant_id, wish_id, from_state, to_state, action, actor, at, note)
       select $1, id, null, state, 'import', 'seed', coalesce(fulfilled_at, collected_at), 'imported' from seed_wish`, [tenantId]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}
