// Bulk seed for the services subgraph (city-scale data). Fills the unit-path copy directly from
// the generated tree, installs the default catalogue, then writes offers, orders (≈1.5 per
// member, ≈90 % of older orders closed, realistic ratings) and micro-wishes with COPY straight
// into their tables, and the per-unit, per-subtree and per-provider summaries it computed while
// generating them, so every summary is exact when it returns.
import type pg from 'pg';
import { binaryNumeric2, binaryUuid, copyBinary, CopyBinaryWriter, copyLines, copyRows, deferIndexes, deferInsertTriggers, truncateIfEmpty } from '@trellis/platform/db/copy.ts';
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

    // Per-row triggers (path lookup, foreign-key checks) and the statement-level summary triggers
    // are off for the load from here on: the offers and orders carry their paths from the tree.
    await client.query('SET LOCAL session_replication_role = replica');

    // 3. Offers: one in twenty members offers a sub-category in their community.
    const offerers = members.filter(() => rand() < 0.05);
    await copyRows(client, 'services.resource',
      ['id', 'tenant_id', 'provider_kind', 'member_id', 'provider_name', 'unit_id', 'unit_path', 'serves_unit_id', 'serves_path', 'category_ids', 'capacity', 'created_at'],
      offerers.map((m) => {
        const community = communityOf(m.orgUnitId);
        return [uuid(rand), tenantId, 'MEMBER', m.id, '党员志愿者', m.orgUnitId, byId.get(m.orgUnitId)?.path ?? '', community, byId.get(community)?.path ?? '',
          `{${pick(items).parent_id}}`, 1 + Math.floor(rand() * 5), new Date(now.getTime() - 400 * 24 * HOUR).toISOString()];
      }), progress);

    // 4. Orders: ≈1.5 per member over the past year, straight into service_order (the generator
    // is a superuser: row-level security does not apply to it). With the triggers off, the rows
    // are consistent by construction and the summaries are computed here while the orders are
    // generated. A load bigger than the table drops its secondary indexes and builds them again
    // afterwards (one build beats a million index insertions).
    const total = Math.round(members.length * ORDERS_PER_MEMBER);
    const wishes = Math.max(1, Math.round(members.length / 20));
    const unitIndex = new Map(units.map((u, i) => [u.id, i]));
    const stats = new Stats(units, members);
    // A fresh database's first tenant: orders, their history and the summaries start from
    // truncated tables and are copied frozen (see truncateIfEmpty).
    const freshOrders = total > 10_000 && await truncateIfEmpty(client, ['services.service_order', 'services.order_transition']);
    const freshStats = total > 10_000 && await truncateIfEmpty(client, ['services.unit_stat', 'services.subtree_stat', 'services.provider_stat']);
    const orderIndexes = await secondaryIndexes(client, 'services.service_order', total);
    const rebuild = [...orderIndexes, ...await secondaryIndexes(client, 'services.order_transition', total),
      ...await secondaryIndexes(client, 'services.micro_wish', wishes), ...await secondaryIndexes(client, 'services.wish_transition', wishes)];
    for (const ix of rebuild) await client.query(`drop index ${ix.name}`);
    // The same bulk load goes in batches without the order triggers (they do not fire for it).
    const orderTriggers = orderIndexes.length ? await deferInsertTriggers(client, 'services.service_order') : async () => {};
    const channels = ['RESIDENT', 'GRID_WORKER', 'GRID_WORKER', 'ON_BEHALF'];
    // Each order's last step, for its history below, written as the order is (binary rows kept
    // in one buffer rather than a million and a half strings for the garbage collector).
    const steps = new CopyBinaryWriter();
    function* orders() {
      for (let i = 0; i < total; i++) {
        const mi = Math.floor(rand() * members.length);
        const m = members[mi]!;
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
        const taken = TAKEN.has(state);
        const accepted = taken ? Math.min(now.getTime(), submitted + rand() * cat.response_hours * 1.2 * HOUR) : null;
        const done = state === 'DONE' || state === 'CLOSED' ? Math.min(now.getTime(), accepted! + (0.5 + rand() * 0.95) * (completionDue - accepted!)) : null;
        const closed = state === 'CLOSED' ? Math.min(now.getTime(), done! + rand() * 48 * HOUR) : null;
        const r = rand();
        const rating = state === 'CLOSED' ? (r < 0.62 ? 5 : r < 0.86 ? 4 : r < 0.95 ? 3 : r < 0.99 ? 2 : 1) : null;
        const open = !FINISHED.has(state);
        // Overdue orders stand where the five-minute sweep has left them: escalated to the street
        // once the completion deadline has passed, to the community when nobody took the order in time.
        const level = !open ? 0 : now.getTime() > completionDue ? 2 : !taken && now.getTime() > responseDue ? 1 : 0;
        const overdue = level > 0;
        const escalatedTo = level > 0 ? ancestorOf(unit, ESCALATION_KINDS[level as 1 | 2]) : null;
        const id = uuid(rand);
        const title = pick(TITLES);
        const resident = `${pick(SURNAMES)}${rand() < 0.5 ? '阿姨' : '师傅'}`;
        const phone = `139${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`;
        const channel = pick(channels);
        const hours = done ? (Math.round((0.5 + rand() * 3.5) * 2) / 2) : null;
        // Times in whole milliseconds, as the table stores them (microseconds) and the summaries compare them.
        const [sub, res, com, acc, dn, cl] = [submitted, responseDue, completionDue, accepted, done, closed].map((t) => (t == null ? null : Math.round(t))) as [number, number, number, number | null, number | null, number | null];
        const last = cl ?? dn ?? acc ?? sub;
        const u = unitIndex.get(unit)!;
        stats.add(u, prefixed('state:', state));
        if (state === 'CLOSED') {
          stats.add(u, 'closed');
          if (dn! <= com) stats.add(u, 'closed_on_time');
          stats.add(u, 'rating_sum', rating!);
          stats.add(u, 'rating_n');
          stats.add(u, CLOSE_HOURS[closeHoursBucket(cl! - sub)]!);
        }
        if (overdue && open) stats.add(u, 'overdue');
        if (taken) {
          if (state === 'ACCEPTED' || state === 'IN_PROGRESS') stats.provider(mi, OPEN);
          if (state === 'CLOSED') { stats.provider(mi, RATING_SUM, rating!); stats.provider(mi, RATING_N); }
        }
        w.row(27);
        w.uuid(id);
        w.bytes(tenant);
        w.bytes(unitBytes(u));
        w.bytes(pathBytes(u));
        w.bytes(word(cat.id, binaryUuid));
        w.bytes(word(title));
        w.bytes(word(resident));
        w.text(phone);
        w.bytes(word(channel));
        w.bytes(SEED);
        w.bytes(word(state));
        if (taken) { w.bytes(word('MEMBER')); w.uuid(m.id); w.bytes(word('党员志愿者')); } else { w.null(); w.null(); w.null(); }
        stamp(sub); stamp(res); stamp(com); stamp(acc); stamp(dn); stamp(cl);
        if (hours === null) w.null(); else w.bytes(numeric(hours * 100));
        if (rating === null) w.null(); else w.int16(rating);
        w.bool(overdue);
        w.int16(level);
        if (escalatedTo === null) w.null(); else w.uuid(escalatedTo);
        stamp(state === 'POSTED' ? sub : null);
        stamp(last);
        steps.row(7); steps.bytes(tenant); steps.uuid(id); steps.bytes(word(state)); steps.bytes(word('import')); steps.bytes(SEED); steps.timestamp(last * 1000); steps.bytes(word('imported'));
        yield;
      }
    }
    // Orders and their history in COPY's binary format (a city has a million and a half: parsing
    // their uuids and timestamps as text was much of the server's work).
    const w = new CopyBinaryWriter();
    const tenant = binaryUuid(tenantId);
    // Units' ids and paths, and the few words and categories the orders repeat, encoded once each
    // (encoding them per order was a fifth of the order generator's time).
    const unitIds: Buffer[] = [];
    const unitPaths: Buffer[] = [];
    const unitBytes = (u: number) => (unitIds[u] ??= binaryUuid(units[u]!.id));
    const pathBytes = (u: number) => (unitPaths[u] ??= Buffer.concat([Buffer.from([1]), Buffer.from(units[u]!.path)]));
    const words = new Map<string, Buffer>();
    const word = (t: string, encode: (t: string) => Buffer = Buffer.from) => { let b = words.get(t); if (!b) words.set(t, (b = encode(t))); return b; };
    const SEED = word('seed');
    // Hours served come in half hours: a few distinct numerics, each encoded once.
    const numerics = new Map<number, Buffer>();
    const numeric = (hundredths: number) => { let b = numerics.get(hundredths); if (!b) numerics.set(hundredths, (b = binaryNumeric2(hundredths))); return b; };
    /** A timestamptz from whole epoch milliseconds, or null. */
    const stamp = (ms: number | null) => (ms === null ? w.null() : w.timestamp(ms * 1000));
    await copyBinary(client, 'services.service_order', ['id', 'tenant_id', 'unit_id', 'org_path', 'category_id', 'title', 'resident_name', 'resident_phone', 'channel',
      'submitted_by', 'state', 'provider_kind', 'provider_member_id', 'provider_name', 'submitted_at', 'response_due', 'completion_due', 'accepted_at', 'done_at',
      'closed_at', 'hours', 'rating', 'overdue', 'escalation_level', 'escalated_to', 'posted_at', 'updated_at'], w, orders(), progress, { freeze: freshOrders });
    // Every order carries its history's last step (who: the seed; from which state: unknown).
    await copyBinary(client, 'services.order_transition', ['tenant_id', 'order_id', 'to_state', 'action', 'actor', 'at', 'note'], w,
      (function* () {
        const all = steps.take();
        for (let at = 0; at < all.length; at += 1 << 20) {
          w.raw(all.subarray(at, at + (1 << 20)));
          yield;
        }
      })(), undefined, { freeze: freshOrders });

    // 5. Micro-wishes: one for every twenty members.
    const wishStates = ['COLLECTED', 'VERIFIED', 'POSTED', 'CLAIMED', 'FULFILLED', 'CONFIRMED', 'ARCHIVED', 'ARCHIVED', 'ARCHIVED'];
    const wishSteps: string[] = [];
    function* wishRows() {
      for (let i = 0; i < wishes; i++) {
        const m = members[Math.floor(rand() * members.length)]!;
        const state = pick(wishStates);
        const collected = now.getTime() - rand() * 300 * 24 * HOUR;
        const claimed = !UNCLAIMED.has(state);
        const fulfilled = FULFILLED.has(state) ? Math.min(now.getTime(), collected + rand() * 30 * 24 * HOUR) : null;
        const id = uuid(rand);
        const title = pick(WISHES);
        const resident = `${pick(SURNAMES)}奶奶`;
        const col = Math.round(collected);
        const ful = fulfilled == null ? null : Math.round(fulfilled);
        const u = unitIndex.get(m.orgUnitId)!;
        stats.add(u, prefixed('wish:', state));
        if (ful !== null) stats.add(u, 'wishes_fulfilled');
        wishSteps.push(`${tenantId}\t${id}\t${state}\timport\tseed\t${ts(ful ?? col)}\timported\n`);
        yield `${id}\t${tenantId}\t${m.orgUnitId}\t${units[u]!.path}\t${title}\t${resident}\t${state}\t${claimed ? m.id : '\\N'}\tseed\t${ts(col)}\t${ts(ful)}\t${ts(ful ?? col)}\n`;
      }
    }
    await copyLines(client, 'services.micro_wish', ['id', 'tenant_id', 'unit_id', 'org_path', 'title', 'resident_name', 'state', 'claimed_by_member_id', 'collected_by',
      'collected_at', 'fulfilled_at', 'updated_at'], wishRows(), progress);
    await copyLines(client, 'services.wish_transition', ['tenant_id', 'wish_id', 'to_state', 'action', 'actor', 'at', 'note'], wishSteps);
    if (rebuild.length) await client.query(`set local maintenance_work_mem = '512MB'`);
    for (const ix of rebuild) await client.query(ix.def);
    await orderTriggers();
    progress(total);
    await stats.write(client, tenantId, freshStats);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
  if (input.analyze !== false) await client.query('analyze services.service_order; analyze services.micro_wish; analyze services.order_transition; analyze services.unit_stat; analyze services.subtree_stat; analyze services.provider_stat');
}

const TAKEN = new Set(['ACCEPTED', 'IN_PROGRESS', 'DONE', 'CLOSED']);
const FINISHED = new Set(['DONE', 'CLOSED', 'CANCELLED']);
const UNCLAIMED = new Set(['COLLECTED', 'VERIFIED', 'POSTED']);
const FULFILLED = new Set(['FULFILLED', 'CONFIRMED', 'ARCHIVED']);
// Metric names made once: a name built for every order would be hashed again at every lookup.
const named = new Map<string, Map<string, string>>();
/** `prefix` + `value` (both constants, whose hashes the engine keeps), the same string each time. */
function prefixed(prefix: string, value: string): string {
  let m = named.get(prefix);
  if (!m) named.set(prefix, (m = new Map()));
  let s = m.get(value);
  if (s === undefined) m.set(value, (s = prefix + value));
  return s;
}
const CLOSE_HOURS = Array.from({ length: 1441 }, (_, h) => `close_hours:${h}`);

const DAY = 24 * HOUR;
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const days = new Map<number, string>();
/** Epoch milliseconds as a timestamptz literal in UTC (or COPY's null): a few thousand days, memoised. */
function ts(ms: number | null): string {
  if (ms === null) return '\\N';
  const day = Math.floor(ms / DAY);
  let d = days.get(day);
  if (d === undefined) { d = new Date(day * DAY).toISOString().slice(0, 10); days.set(day, d); }
  let r = ms - day * DAY;
  const h = Math.floor(r / HOUR); r -= h * HOUR;
  const m = Math.floor(r / 60_000); r -= m * 60_000;
  const sec = Math.floor(r / 1000);
  return `${d} ${TWO[h]}:${TWO[m]}:${TWO[sec]}.${THREE[r - sec * 1000]}+00`;
}

/** services.close_hours_bucket of an order closed `ms` after it was submitted (whole milliseconds). */
function closeHoursBucket(ms: number): number {
  const hours = Math.floor(ms / HOUR);
  return hours < 48 ? hours : hours >= 1440 ? 1440 : Math.floor(ms / DAY) * 24;
}

/**
 * What the statement-level triggers would have added for the generated orders and wishes (the
 * metrics of order_metrics, wish_metrics and provider_metrics): per-unit summaries, subtree
 * summaries (a unit's own rows plus its children's subtrees, added up the tree once, children
 * first; the units come parents first) and per-provider figures. Written straight into empty
 * summaries, or added to a tenant's existing ones.
 */
const PROVIDER_METRICS = ['open', 'rating_sum', 'rating_n'] as const;
/** A provider metric's place among its three values. */
const OPEN = 0, RATING_SUM = 1, RATING_N = 2;

class Stats {
  private readonly units: SeedUnit[];
  private readonly members: readonly SeedMember[];
  private readonly own: Map<string, number>[];
  /** Per member (by index), where its open, rating_sum and rating_n stand in providerValues (-1: none yet). */
  private readonly slot: Int32Array;
  /** Members who provided, in the order they first did. */
  private readonly providers: number[] = [];
  private readonly providerValues: number[] = [];

  constructor(units: SeedUnit[], members: readonly SeedMember[]) {
    this.units = units;
    this.members = members;
    this.own = units.map(() => new Map());
    this.slot = new Int32Array(members.length).fill(-1);
  }

  add(unit: number, metric: string, n = 1) {
    const c = this.own[unit]!;
    c.set(metric, (c.get(metric) ?? 0) + n);
  }

  /** Adds to a provider's metric (OPEN, RATING_SUM or RATING_N); providers are members, by their index. */
  provider(member: number, metric: number, n = 1) {
    let at = this.slot[member]!;
    if (at < 0) { at = this.slot[member] = this.providerValues.length; this.providers.push(member); this.providerValues.push(0, 0, 0); }
    this.providerValues[at + metric]! += n;
  }

  async write(client: pg.Client, tenantId: string, freeze: boolean) {
    const { units, own } = this;
    const index = new Map(units.map((u, i) => [u.id, i]));
    const subtree = own.map((c) => new Map(c));
    for (let i = units.length - 1; i >= 0; i--) {
      const up = units[i]!.parentId ? index.get(units[i]!.parentId!) : undefined;
      if (up === undefined) continue;
      const into = subtree[up]!;
      for (const [k, n] of subtree[i]!) into.set(k, (into.get(k) ?? 0) + n);
    }
    // Binary rows (millions for a city): ids and metric names encoded once each.
    const w = new CopyBinaryWriter();
    const tenant = binaryUuid(tenantId);
    const names = new Map<string, Buffer>();
    const name = (k: string) => { let b = names.get(k); if (!b) names.set(k, (b = Buffer.from(k))); return b; };
    const row = (id: Buffer, k: string, n: number) => { w.row(4); w.bytes(tenant); w.bytes(id); w.bytes(name(k)); w.int64(n); };
    const perUnit = (per: Map<string, number>[]) => function* () {
      for (let i = 0; i < per.length; i++) {
        let id: Buffer | undefined;
        for (const [k, n] of per[i]!) if (n !== 0) { row((id ??= binaryUuid(units[i]!.id)), k, n); yield; }
      }
    };
    const { providers, providerValues, members } = this;
    const perProvider = function* () {
      for (let p = 0; p < providers.length; p++) {
        const member = providers[p]!;
        let id: Buffer | undefined;
        for (let k = 0; k < PROVIDER_METRICS.length; k++) {
          const n = providerValues[3 * p + k]!;
          if (n !== 0) { row((id ??= binaryUuid(members[member]!.id)), PROVIDER_METRICS[k]!, n); yield; }
        }
      }
    };
    // Into emptied tables, each key is built once after its rows (one sort) rather than row by row.
    const keys = freeze ? [await deferIndexes(client, 'services.unit_stat'), await deferIndexes(client, 'services.subtree_stat'), await deferIndexes(client, 'services.provider_stat')] : [];
    await this.merge(client, tenantId, 'unit_stat', 'unit_id', w, perUnit(own)(), freeze);
    await this.merge(client, tenantId, 'subtree_stat', 'ancestor_id', w, perUnit(subtree)(), freeze);
    await this.merge(client, tenantId, 'provider_stat', 'provider_id', w, perProvider(), freeze);
    for (const k of keys) await k();
  }

  /** Rows (tenant, id, metric, value) into `table`: copied when the tenant has none yet, added to its rows otherwise. */
  private async merge(client: pg.Client, tenantId: string, table: string, idColumn: string, w: CopyBinaryWriter, rows: Iterable<unknown>, freeze: boolean) {
    const columns = ['tenant_id', idColumn, 'metric', 'value'];
    if (freeze || !(await client.query(`select 1 from services.${table} where tenant_id = $1 limit 1`, [tenantId])).rowCount) {
      await copyBinary(client, `services.${table}`, columns, w, rows, undefined, { freeze });
      return;
    }
    await client.query(`create temp table seed_${table} (tenant_id uuid, ${idColumn} uuid, metric text, value bigint) on commit drop`);
    await copyBinary(client, `seed_${table}`, columns, w, rows);
    await client.query(
      `insert into services.${table} as x (${columns.join(', ')}) select ${columns.join(', ')} from seed_${table} order by 1, 2, 3
       on conflict (tenant_id, ${idColumn}, metric) do update set value = x.value + excluded.value`);
  }
}

/** Secondary indexes of `table` worth dropping for a load of `rows` (more than it holds, and many). */
async function secondaryIndexes(client: pg.Client, table: string, rows: number): Promise<{ name: string; def: string }[]> {
  // Counted up to the load's size (another tenant's rows may have no statistics yet).
  const existing = (await client.query<{ n: number }>(`select count(*)::int as n from (select 1 from ${table} limit $1) x`, [rows])).rows[0]!.n;
  if (rows <= Math.max(10_000, existing)) return [];
  return (await client.query<{ name: string; def: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
      where i.indrelid = $1::regclass and not i.indisprimary and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`, [table])).rows;
}
