// Bulk generator entry point of the members subgraph (`npm run seed`): the unit-path copy straight
// from the generated tree (with the event cursors set to where the organisation stream stands, so
// followers resume after the seeded units), then realistic members, their ledgers and the
// summaries over them, each streamed with COPY straight into its table (the generator is a
// superuser: row-level security does not apply to it, and row triggers are off for the load).
//
// Proportions (DOMAIN.md §2): retirees are most of a community's members, in-service members
// register in at their community, about 3 % are probationary, a few percent are in the pipeline
// (applicant → activist → development target); education follows the generation.
import type pg from 'pg';
import { binaryNumeric2, binaryUuid, copyBinary, CopyBinaryWriter, copyLines, deferIndexes, deferInsertTriggers, truncateIfEmpty } from '@trellis/platform/db/copy.ts';
import { deriveSeed, mulberry32, pick, weighted } from '@trellis/platform/seed/prng.ts';
import { seedUnitCopy } from '@trellis/platform/seed/unitCopy.ts';
import { blindIndex, encrypt, idCardCheck, maskIdCard } from './domain/personalData.ts';
import { DEFAULT_EMPLOYED_BRACKETS, DEFAULT_RETIREE_BRACKETS, type Bracket } from './domain/dues.ts';
import { BASELINE, DEFAULT_BASELINE, DEFAULT_EXEMPT } from './domain/points.ts';
import { DAY, ETHNICITY, RESIDENTIAL, drawPerson, ymd } from './seedPeople.ts';

import type { SeedInput, SeedMember, SeedUnit } from '@trellis/platform/seed/contract.ts';

export type { SeedInput, SeedMember, SeedUnit };

const DEFAULT_COUNT = { demo: 1_200, district: 50_000, 'city-1m': 1_000_000 } as const;
/** Relative number of members attached to a unit of each kind. */
const WEIGHT: Record<string, number> = {
  GRID: 20, BUILDING_GROUP: 12, COMMUNITY: 8, VILLAGE: 30,
  COMMERCIAL_BUILDING_BRANCH: 25, MARKET_BRANCH: 15, JOINT_BRANCH: 20, NEW_ORGANISATION_BRANCH: 25,
  ENTERPRISE_BRANCH: 40, FLOATING_MEMBER_BRANCH: 30, ONLINE_BRANCH: 10,
};
const WORKING: [string, number][] = [['IN_SERVICE', 40], ['SELF_MANAGED', 25], ['FLOATING_IN', 10], ['LAID_OFF', 8], ['NEW_ORGANISATION', 17]];

const compactDates = new Map<string, string>();
/** 'YYYY-MM-DD' → 'YYYYMMDD', memoised. */
function compact(date: string): string {
  let s = compactDates.get(date);
  if (s === undefined) { s = date.replace(/-/g, ''); compactDates.set(date, s); }
  return s;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** The first `n` hexadecimal digits of a 32-bit draw, through a byte table (a million ids). */
function hex(r: () => number, n: number): string {
  const x = Math.floor(r() * 0x100000000);
  const s = HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;
  return n === 8 ? s : s.slice(0, n);
}
function uuid(r: () => number): string {
  return `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-${(8 + Math.floor(r() * 4)).toString(16)}${hex(r, 3)}-${hex(r, 6)}${hex(r, 6)}`;
}
const NO_FLAGS: readonly string[] = [];
const PHONE_PREFIXES = ['39', '38', '37', '58', '86', '88', '33', '77', '35', '52'];
/** COPY's text form of a date or null. */
const ymdOrNull = (day: number | null) => (day === null ? '\\N' : ymd(day));

const MEMBER_COLUMNS = ['id', 'org_unit_id', 'name', 'gender', 'birth_date', 'ethnicity', 'education', 'phone', 'id_card_cipher', 'id_card_masked',
  'id_card_hash', 'stage', 'applied_on', 'activist_on', 'target_on', 'joined_on', 'full_on', 'categories', 'flags', 'reported_in_community',
  'org_path', 'tenant_id', 'created_at', 'updated_at'] as const;

/** What the ledgers and the summaries need of a generated member, besides what later seeds get. */
export interface GeneratedMember extends SeedMember {
  /** Index of the member's unit in `units`. */
  unit: number;
  /** Index of the community reported in to, or -1. */
  reportedIn: number;
  flags: readonly string[];
  education: string;
  /** Days since 1970-01-01. */
  birth: number;
  joined: number | null;
  /** The day of the member's current stage (its recruitment step). */
  effective: number;
}

/**
 * The members of one tenant as COPY lines of MEMBER_COLUMNS (text format; no value needs
 * escaping), generated lazily. With `out`, each member's facts are also kept there for the
 * ledgers and the summaries (and for later seeds). With `binary`, each member is written there
 * as a row in COPY's binary format instead (the same values; the load's form) and the generator
 * yields once per member.
 */
export function* generateMembers(input: Omit<SeedInput, 'client'>, out?: GeneratedMember[], binary?: CopyBinaryWriter): Generator<string> {
  const r = mulberry32((input.seed ^ 0x5eed) + [...input.tenantId].reduce((s, c) => (s * 31 + c.charCodeAt(0)) >>> 0, 7));
  const total = input.memberCount ?? DEFAULT_COUNT[input.profile];
  const today = Math.floor(input.now.getTime() / DAY);
  const year = input.now.getUTCFullYear();
  const region = input.regionCode ?? 420102;
  // Each unit's district index (for the ID region code) and community (where in-service members register in).
  const info = new Map<string, { district: number; community: string | null; index: number }>();
  const districts: string[] = [];
  const communitiesByDistrict = new Map<number, string[]>();
  for (const [index, u] of input.units.entries()) {
    const parent = u.parentId ? info.get(u.parentId) : undefined;
    let district = parent?.district ?? -1;
    if (u.kind === 'DISTRICT' || u.kind === 'TOWNSHIP') { district = districts.length; districts.push(u.id); }
    const community = u.kind === 'COMMUNITY' ? u.id : parent?.community ?? null;
    info.set(u.id, { district, community, index });
    if (u.kind === 'COMMUNITY') communitiesByDistrict.set(district, [...(communitiesByDistrict.get(district) ?? []), u.id]);
  }
  // Members per unit: proportional to its kind's weight, the remainder spread at random.
  const hosts = input.units.filter((u) => WEIGHT[u.kind]);
  const weights = hosts.map((u) => WEIGHT[u.kind]! * (0.6 + 0.8 * r()));
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((w * total) / sum));
  for (let left = total - counts.reduce((a, b) => a + b, 0); left > 0; left--) counts[Math.floor(r() * counts.length)]!++;
  // ID numbers given so far: one bit per district, birth day and sequence number (a bitmap of
  // 8 MB per district instead of a million entries for the garbage collector to trace).
  const seen = new Map<number, Uint8Array>();
  const created = input.now.toISOString();
  const createdMicros = input.now.getTime() * 1000;
  const tenant = binaryUuid(input.tenantId);
  const unitIds: Buffer[] = [];
  const unitPaths: Buffer[] = [];
  for (let h = 0; h < hosts.length; h++) {
    const unit = hosts[h]!;
    const where = info.get(unit.id)!;
    const residential = RESIDENTIAL.has(unit.kind);
    for (let i = 0; i < counts[h]!; i++) {
      const id = uuid(r);
      const { stage, party, age, birth, birthText, bornYear, male, name, education } = drawPerson(r, year, residential);
      // Categories (a member may carry several).
      const categories: string[] = [];
      if (age >= 60) categories.push('RETIRED');
      else if (unit.kind === 'FLOATING_MEMBER_BRANCH') categories.push('FLOATING_IN');
      else if (unit.kind === 'NEW_ORGANISATION_BRANCH' || unit.kind === 'COMMERCIAL_BUILDING_BRANCH') categories.push('NEW_ORGANISATION');
      else if (unit.kind === 'ENTERPRISE_BRANCH') categories.push('IN_SERVICE');
      else if (unit.kind === 'JOINT_BRANCH') categories.push(r() < 0.5 ? 'LAID_OFF' : 'NEW_ORGANISATION');
      else categories.push(weighted(r, WORKING));
      if (residential && !categories.includes('IN_SERVICE') && !categories.includes('RETIRED') && r() < 0.3) categories.push('SELF_MANAGED');
      if (age < 60 && r() < 0.03) categories.push('FLOATING_OUT');
      if (r() < (age >= 60 ? 0.08 : 0.03)) categories.push('HARDSHIP');
      if (bornYear < 1932 && party) categories.push('ELDERLY');
      const cats = [...new Set(categories)];
      // In-service members register in at the community where they live (双报到).
      let reported: string | null = null;
      if (cats.includes('IN_SERVICE') && r() < 0.55) {
        reported = where.community ?? (where.district >= 0 ? pick(r, communitiesByDistrict.get(where.district) ?? [null]) : null);
      }
      let flags: readonly string[] = NO_FLAGS;
      if (party) {
        const f = r();
        if (f < 0.004) flags = ['LOST_CONTACT'];
        else if (f < 0.007) flags = ['NOMINAL_ATTACHMENT'];
        else if (f < 0.009) flags = ['POCKET_MEMBER'];
        else if (f < 0.011) flags = ['INVISIBLE_MEMBER'];
      }
      // Pipeline dates: applied → activist (≥ 6 months) → target (≥ 1 year) → admitted → full (1 year).
      let applied: number | null = null, activist: number | null = null, target: number | null = null, joined: number | null = null, full: number | null = null;
      if (stage === 'FULL') {
        const adult = birth + 365 * 18 + 5;
        joined = adult + Math.floor(r() * Math.max(1, today - 400 - adult));
        full = joined + 366 + Math.floor(r() * 20);
        if (full > today) { joined = today - 400; full = today - 30; }
      } else if (stage === 'PROBATIONARY') {
        joined = today - 1 - Math.floor(r() * 360);
      } else {
        applied = today - (stage === 'APPLICANT' ? Math.floor(r() * 180) : stage === 'ACTIVIST' ? 200 + Math.floor(r() * 200) : 600 + Math.floor(r() * 300));
        if (stage !== 'APPLICANT') activist = applied + 183 + Math.floor(r() * 20);
        if (stage === 'DEVELOPMENT_TARGET') target = activist! + 366 + Math.floor(r() * 20);
      }
      if (applied === null && joined !== null) {
        target = joined - 90 - Math.floor(r() * 60);
        activist = target - 366 - Math.floor(r() * 200);
        applied = activist - 183 - Math.floor(r() * 300);
      }
      // GB 11643 number: district region code, birth date, sequence (odd for men), check character.
      const regionCode = region + Math.max(0, where.district);
      let number = '';
      let taken = seen.get(regionCode);
      if (!taken) seen.set(regionCode, (taken = new Uint8Array((65_536 * 1000) / 8)));
      for (;;) {
        const seq = Math.floor(r() * 500) * 2 + (male ? 1 : 0);
        const bit = (birth + 32_768) * 1000 + seq;
        if (taken[bit >>> 3]! & (1 << (bit & 7))) continue;
        taken[bit >>> 3]! |= 1 << (bit & 7);
        const first17 = `${regionCode}${compact(birthText)}${seq < 10 ? '00' : seq < 100 ? '0' : ''}${seq}`;
        number = first17 + idCardCheck(first17);
        break;
      }
      const ethnicity = weighted(r, ETHNICITY);
      const phone = `1${pick(r, PHONE_PREFIXES)}${String(Math.floor(r() * 1e8)).padStart(8, '0')}`;
      if (binary) {
        const w = binary;
        w.row(MEMBER_COLUMNS.length);
        w.uuid(id); w.bytes(unitIds[where.index] ??= binaryUuid(unit.id)); w.text(name); w.bytes(textBytes(male ? 'MALE' : 'FEMALE')); w.date(birth);
        w.bytes(textBytes(ethnicity)); w.bytes(textBytes(education)); w.text(phone);
        w.text(encrypt(number, `${input.tenantId}:${id}`)); w.text(maskIdCard(number)); w.text(blindIndex(input.tenantId, number)); w.bytes(textBytes(stage));
        for (const day of [applied, activist, target, joined, full]) { if (day === null) w.null(); else w.date(day); }
        w.bytes(textArray(cats)); w.bytes(textArray(flags));
        if (reported === null) w.null(); else w.bytes(unitIds[info.get(reported)!.index] ??= binaryUuid(reported));
        w.bytes(unitPaths[where.index] ??= Buffer.concat([Buffer.from([1]), Buffer.from(unit.path)]));
        w.bytes(tenant); w.timestamp(createdMicros); w.timestamp(createdMicros);
        yield '';
      } else yield `${id}\t${unit.id}\t${name}\t${male ? 'MALE' : 'FEMALE'}\t${birthText}\t${ethnicity}\t${education}\t${phone}\t`
        + `${encrypt(number, `${input.tenantId}:${id}`)}\t${maskIdCard(number)}\t${blindIndex(input.tenantId, number)}\t${stage}\t`
        + `${ymdOrNull(applied)}\t${ymdOrNull(activist)}\t${ymdOrNull(target)}\t${ymdOrNull(joined)}\t${ymdOrNull(full)}\t`
        + `{${cats.join(',')}}\t{${flags.join(',')}}\t${reported ?? '\\N'}\t${unit.path}\t${input.tenantId}\t${created}\t${created}\n`;
      out?.push({
        id, orgUnitId: unit.id, categories: cats, reportedInCommunity: reported, birthDate: birthText, stage,
        unit: where.index, reportedIn: reported === null ? -1 : info.get(reported)!.index, flags, education, birth, joined,
        effective: (full ?? joined ?? target ?? activist ?? applied)!,
      });
    }
  }
}

/**
 * Loads a tenant's members, ledgers and summaries in one transaction and returns the members
 * (what later seeds need of them), in the order they were generated.
 */
export async function seed(input: SeedInput): Promise<SeedMember[]> {
  const { client, tenantId } = input;
  const members: GeneratedMember[] = [];
  let apart: pg.Client | undefined;
  await client.query('BEGIN');
  try {
    await client.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    // Row and statement triggers (paths, foreign keys, summaries) are off for the load: the rows
    // are consistent by construction (paths straight from the tree) and the summaries are
    // computed here, from the same definitions the triggers keep them by afterwards.
    await client.query('SET LOCAL session_replication_role = replica');
    // The copy of the tree stands where the organisation stream stands: followers resume after it.
    await seedUnitCopy(client, 'members', input);

    // A load larger than what the tables hold builds their indexes once afterwards instead of
    // maintaining them row by row. Inside the transaction: a failure restores them untouched.
    // Counted (up to the load's size), not estimated: another tenant may have just committed a
    // million members that no statistics show yet, and rebuilding their indexes would cost more
    // than the load.
    const load = input.memberCount ?? DEFAULT_COUNT[input.profile];
    const existing = (await client.query<{ n: number }>('select count(*)::int as n from (select 1 from members.member limit $1) x', [load])).rows[0]!.n;
    const bulk = load > Math.max(10_000, existing);
    const restore: (() => Promise<void>)[] = [];
    /** Tables this transaction found empty and truncated: their rows are copied frozen. */
    const fresh = new Set<string>();
    if (bulk) {
      await client.query(`set local maintenance_work_mem = '2GB'`);
      for (const table of ['member', 'recruitment_step', 'dues_account', ...(input.connect ? [] : ['dues_payment']), 'point_event']) {
        restore.push(await deferIndexes(client, `members.${table}`));
      }
      for (const table of ['member', 'dues_account', 'point_event']) restore.push(await deferInsertTriggers(client, `members.${table}`));
      // The ledgers and summaries (no foreign key points at them; the member table has many).
      for (const table of ['recruitment_step', 'dues_account', ...(input.connect ? [] : ['dues_payment']), 'point_event', 'member_rollup']) {
        if (await truncateIfEmpty(client, [`members.${table}`])) fresh.add(table);
      }
    }
    // Dues payments (eleven rows a member for a city) load on a connection of their own when the
    // caller offers one, in their own transaction, beside everything else. It locks the payments
    // only now, after this transaction holds the members tables: another tenant's seed that
    // holds them first finishes, payments included, before this one goes on (the other order
    // would leave each waiting for the other, one of them in this process, where the server
    // sees no deadlock).
    apart = await input.connect?.();
    let restorePayments = async () => {};
    if (apart) {
      await apart.query('BEGIN');
      await apart.query('SET LOCAL session_replication_role = replica');
      if (bulk) {
        await apart.query(`set local maintenance_work_mem = '2GB'`);
        const [indexes, triggers] = [await deferIndexes(apart, 'members.dues_payment'), await deferInsertTriggers(apart, 'members.dues_payment')];
        restorePayments = async () => { await indexes(); await triggers(); };
        if (await truncateIfEmpty(apart, ['members.dues_payment'])) fresh.add('dues_payment');
      }
    }
    // Party members the tenant already holds get their ledgers too when they have none (every
    // Party member of the tenant has an account and this year's baseline after a seed).
    const unitIndex = new Map(input.units.map((u, i) => [u.id, i]));
    const held = (await client.query<{ id: string; unit: string; stage: string; categories: string; flags: string; joined: string; account: boolean; baseline: boolean }>(
      `select m.id::text, m.org_unit_id::text as unit, m.stage, array_to_string(m.categories, ',') as categories, array_to_string(m.flags, ',') as flags,
              m.joined_on::text as joined,
              exists (select 1 from members.dues_account a where a.tenant_id = m.tenant_id and a.member_id = m.id) as account,
              exists (select 1 from members.point_event p where p.tenant_id = m.tenant_id and p.member_id = m.id and p.year = $2 and p.rule = $3) as baseline
         from members.member m where m.tenant_id = $1 and m.stage in ('PROBATIONARY', 'FULL') and m.membership_status = 'ACTIVE'`,
      [tenantId, input.now.getUTCFullYear(), BASELINE])).rows
      .filter((m) => unitIndex.has(m.unit) && (!m.account || !m.baseline))
      .map((m): LedgerMember => ({
        id: m.id, unit: unitIndex.get(m.unit)!, stage: m.stage, categories: m.categories ? m.categories.split(',') : [], flags: m.flags ? m.flags.split(',') : [],
        joined: Date.parse(`${m.joined}T00:00:00Z`) / DAY, account: !m.account, baseline: !m.baseline,
      }));
    // Binary rows: the server parses no uuids, dates, arrays or paths for a million members.
    const memberRows = new CopyBinaryWriter();
    await copyBinary(client, 'members.member', MEMBER_COLUMNS, memberRows, generateMembers(input, members, memberRows), input.progress);
    // Later seeds need the members, not their ledgers: they may start now, on their own connections.
    input.onMembers?.(members);
    // The current stage's step, as a registry that was migrated in would record it.
    // Binary rows, like the other ledgers (a million for a city): the server parses no uuids or dates.
    const recorded = input.now.getTime() * 1000;
    const w = new CopyBinaryWriter();
    const tenant = binaryUuid(tenantId);
    const note = Buffer.from('批量导入');
    await copyBinary(client, 'members.recruitment_step', ['tenant_id', 'member_id', 'to_stage', 'effective_on', 'note', 'recorded_by', 'recorded_at'], w,
      (function* () {
        for (const m of members) {
          w.row(7); w.bytes(tenant); w.uuid(m.id); w.bytes(textBytes(m.stage)); w.date(m.effective); w.bytes(note); w.bytes(SEED); w.timestamp(recorded);
          yield;
        }
      })(), undefined, { freeze: fresh.has('recruitment_step') });
    const summary = new Summary(input.units);
    for (const m of members) summary.addMember(m);
    await seedLedgers(client, input, [...held, ...members], summary, apart ?? client, fresh);
    // The payments' key is built and committed while the summaries are written here.
    const paymentsDone = apart ? (async () => { await restorePayments(); await apart.query('COMMIT'); })() : undefined;
    paymentsDone?.catch(() => {}); // awaited below; failing early must not go unhandled meanwhile
    await summary.write(client, tenantId, fresh.has('member_rollup'));
    for (const r of restore) await r();
    await paymentsDone;
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    await apart?.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    await apart?.end();
  }
  if (input.analyze !== false) await client.query('analyze members.member; analyze members.unit_path; analyze members.recruitment_step; analyze members.dues_account; '
    + 'analyze members.dues_payment; analyze members.point_event; analyze members.member_rollup; analyze members.member_reported_in');
  return members;
}

const PARTY = new Set(['PROBATIONARY', 'FULL']);
const arrays = new Map<string, Buffer>();
/** A text[] in COPY's binary form (without its length word), per distinct list encoded once. */
function textArray(values: readonly string[]): Buffer {
  const key = values.join(',');
  let b = arrays.get(key);
  if (!b) {
    const items = values.map((v) => Buffer.from(v));
    // Dimensions (none for an empty array), no nulls, element type text (oid 25), then length and lower bound 1.
    const head = values.length ? [1, 0, 25, values.length, 1] : [0, 0, 25];
    b = Buffer.alloc(4 * head.length + items.reduce((n, x) => n + 4 + x.length, 0));
    let at = 0;
    for (const v of head) at = b.writeInt32BE(v, at);
    for (const x of items) { at = b.writeInt32BE(x.length, at); at += x.copy(b, at); }
    arrays.set(key, b);
  }
  return b;
}
const SEED = Buffer.from('seed');
const texts = new Map<string, Buffer>();
/** A fixed word's UTF-8 bytes (stages, bases), encoded once. */
function textBytes(t: string): Buffer {
  let b = texts.get(t);
  if (!b) texts.set(t, (b = Buffer.from(t)));
  return b;
}

/**
 * member_rollup and member_reported_in for the loaded rows, computed in memory with the
 * contribution definitions of rollup_contributions and rollup_upsert (migrations 004 and 006):
 *  * every member: 'stage' at its unit and every ancestor;
 *  * Party members: 'category' and 'flag' per value, 'education', and the birth date as a day of
 *    its 'birthMonth' row at the ancestors of the member's unit (not the unit itself); an
 *    in-service member who reported in to a community: 'reportedIn' at the community and its
 *    ancestors, and one in member_reported_in;
 *  * dues accounts with an amount: 'duesFrom' (first month owed), and 'duesPaid' per payment,
 *    where the member counts.
 * Counts go to the unit where they start and are then added up the tree once, children before
 * parents (the units come parents first).
 */
class Summary {
  private readonly units: SeedUnit[];
  private readonly parent: Int32Array;
  /** Per unit: 'dim\tkey' → count. */
  private readonly counts: Map<string, number>[];
  /** Per unit: birth month (year × 12 + month − 1) → members born on each day (index 0 = day 1). */
  private readonly births: Map<number, Int32Array>[];
  private readonly reported = new Map<number, number>();

  constructor(units: SeedUnit[]) {
    this.units = units;
    const index = new Map(units.map((u, i) => [u.id, i]));
    this.parent = Int32Array.from(units, (u) => (u.parentId ? index.get(u.parentId) ?? -1 : -1));
    this.counts = units.map(() => new Map());
    this.births = units.map(() => new Map());
  }

  private readonly keys = new Map<string, Map<string, string>>();

  add(unit: number, dim: string, key: string, n = 1) {
    const c = this.counts[unit]!;
    // 'dim\tkey' made once per pair: built for every member, it would be hashed at every lookup.
    let byKey = this.keys.get(dim);
    if (!byKey) this.keys.set(dim, (byKey = new Map()));
    let k = byKey.get(key);
    if (k === undefined) byKey.set(key, (k = `${dim}\t${key}`));
    c.set(k, (c.get(k) ?? 0) + n);
  }

  addMember(m: GeneratedMember) {
    this.add(m.unit, 'stage', m.stage);
    if (!PARTY.has(m.stage)) return;
    for (const c of m.categories) this.add(m.unit, 'category', c);
    for (const f of m.flags) this.add(m.unit, 'flag', f);
    this.add(m.unit, 'education', m.education);
    const up = this.parent[m.unit]!;
    if (up >= 0) {
      const b = this.births[up]!;
      const d = new Date(m.birth * DAY);
      const month = d.getUTCFullYear() * 12 + d.getUTCMonth();
      let days = b.get(month);
      if (!days) b.set(month, (days = new Int32Array(31)));
      days[d.getUTCDate() - 1]!++;
    }
    if (m.reportedIn >= 0 && m.categories.includes('IN_SERVICE')) {
      this.add(m.reportedIn, 'reportedIn', '');
      this.reported.set(m.reportedIn, (this.reported.get(m.reportedIn) ?? 0) + 1);
    }
  }

  /** Adds every unit's counts to its parent's (children first), then writes the rows. */
  async write(client: pg.Client, tenantId: string, freeze: boolean) {
    for (let i = this.units.length - 1; i >= 0; i--) {
      const up = this.parent[i]!;
      if (up < 0) continue;
      const pc = this.counts[up]!;
      for (const [k, n] of this.counts[i]!) pc.set(k, (pc.get(k) ?? 0) + n);
      const pb = this.births[up]!;
      for (const [month, days] of this.births[i]!) {
        const into = pb.get(month);
        if (!into) pb.set(month, Int32Array.from(days));
        else for (let d = 0; d < 31; d++) into[d]! += days[d]!;
      }
    }
    // In the order a rebuild writes them: a unit's rows next to each other.
    const order = this.units.map((u, i) => i).sort((a, b) => (this.units[a]!.id < this.units[b]!.id ? -1 : 1));
    const units = this.units;
    const counts = this.counts;
    const births = this.births;
    // Binary rows (a city has millions, a third of them with 31 day counts to parse as text).
    const w = new CopyBinaryWriter();
    const tenant = binaryUuid(tenantId);
    // Each 'dim\tkey' split and encoded once (millions of rows share a few thousand of them).
    const parts = new Map<string, [Buffer, Buffer]>();
    const split = (k: string) => {
      let p = parts.get(k);
      if (!p) { const tab = k.indexOf('\t'); parts.set(k, (p = [Buffer.from(k.slice(0, tab)), Buffer.from(k.slice(tab + 1))])); }
      return p;
    };
    const monthKeys = new Map<number, string>();
    const monthKey = (month: number) => { let k = monthKeys.get(month); if (k === undefined) monthKeys.set(month, (k = `birthMonth\t${ymd(monthStart(month)).slice(0, 7)}`)); return k; };
    const rows = function* () {
      const keys: [string, number, Int32Array | null][] = [];
      for (const i of order) {
        const id = binaryUuid(units[i]!.id);
        keys.length = 0;
        for (const [k, n] of counts[i]!) keys.push([k, n, null]);
        for (const [month, days] of births[i]!) {
          let n = 0;
          for (let d = 0; d < 31; d++) n += days[d]!;
          keys.push([monthKey(month), n, days]);
        }
        keys.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        for (const [k, n, days] of keys) {
          const [dim, key] = split(k);
          w.row(6);
          w.bytes(tenant);
          w.bytes(id);
          w.bytes(dim);
          w.bytes(key);
          w.int32(n);
          if (days) w.int32Array(days);
          else w.null();
          yield;
        }
      }
    };
    const reported = [...this.reported].map(([unit, n]) => `${tenantId}\t${units[unit]!.id}\t${n}\n`);
    // A tenant that already holds summaries (members added to a populated tenant) gets the new
    // counts added to its rows; otherwise they are its rows.
    const { rows: [held] } = await client.query<{ rollup: boolean; reported: boolean }>(
      `select exists (select 1 from members.member_rollup where tenant_id = $1) as rollup,
              exists (select 1 from members.member_reported_in where tenant_id = $1) as reported`, [tenantId]);
    if (!held!.rollup) await copyBinary(client, 'members.member_rollup', ['tenant_id', 'ancestor_id', 'dim', 'key', 'count', 'days'], w, rows(), undefined, { freeze });
    else {
      await client.query('create temp table seed_rollup (tenant_id uuid, ancestor_id uuid, dim text, key text, count int, days int[]) on commit drop');
      await copyBinary(client, 'seed_rollup', ['tenant_id', 'ancestor_id', 'dim', 'key', 'count', 'days'], w, rows());
      await client.query(
        `insert into members.member_rollup as r (tenant_id, ancestor_id, dim, key, count, days)
         select tenant_id, ancestor_id, dim, key, count, days from seed_rollup order by 1, 2, 3, 4
         on conflict (tenant_id, ancestor_id, dim, key) do update set count = r.count + excluded.count,
           days = case when excluded.days is null then r.days
                       else (select array_agg(coalesce(a, 0) + coalesce(b, 0) order by i) from unnest(r.days, excluded.days) with ordinality as x(a, b, i)) end`);
    }
    if (!held!.reported) await copyLines(client, 'members.member_reported_in', ['tenant_id', 'community_id', 'count'], reported);
    else {
      await client.query('create temp table seed_reported_in (tenant_id uuid, community_id uuid, count int) on commit drop');
      await copyLines(client, 'seed_reported_in', ['tenant_id', 'community_id', 'count'], reported);
      await client.query(
        `insert into members.member_reported_in as r (tenant_id, community_id, count) select tenant_id, community_id, count from seed_reported_in order by 1, 2
         on conflict (tenant_id, community_id) do update set count = r.count + excluded.count`);
    }
  }
}

/** What the ledgers need of a member; `account` and `baseline` false: the member has that one already. */
interface LedgerMember { id: string; unit: number; stage: string; categories: string[]; flags: readonly string[]; joined: number | null; account?: boolean; baseline?: boolean }

/** The dues rate of an income by brackets, as monthlyDues computes it. */
function rate(income: number, brackets: readonly Bracket[]): number {
  let r = brackets[0]!.rate;
  for (const b of brackets) if (income > b.above) r = b.rate;
  return r;
}

const monthStarts = new Map<number, number>();
/** Month index (year × 12 + month − 1) → day number of its first day. */
function monthStart(mi: number): number {
  let d = monthStarts.get(mi);
  if (d === undefined) { d = Date.UTC(Math.floor(mi / 12), mi % 12, 1) / DAY; monthStarts.set(mi, d); }
  return d;
}
const monthOfDay = (day: number) => { const d = new Date(day * DAY); return d.getUTCFullYear() * 12 + d.getUTCMonth(); };

/**
 * Dues accounts, this year's payments and the points baseline of every Party member (DOMAIN.md
 * §5), drawn from one stream of the seed per tenant. Accounts start in January or at admission.
 * Income is log-normal around ¥6,500 after tax for the employed and a ¥3,800 pension for
 * retirees; laid-off and hardship members pay a fixed ¥0.20. Most members pay each month in its
 * first ten days, some settle a quarter at its end, a few stopped paying after some months, and
 * members who lost contact or were never handed over pay nothing: a collection rate of about
 * 95 %. Streamed straight into the tables; the dues dimensions go to `summary`.
 */
async function seedLedgers(
  client: pg.Client, input: SeedInput, members: LedgerMember[], summary: Summary, paymentsClient: pg.Client, fresh: ReadonlySet<string>,
): Promise<void> {
  const { tenantId, now } = input;
  const r = mulberry32(deriveSeed(input.seed, `ledgers:${tenantId}`));
  const today = Math.floor(now.getTime() / DAY);
  const year = now.getUTCFullYear();
  const jan = year * 12;
  const thisMonth = monthOfDay(today);
  const units = input.units;
  interface Account { m: LedgerMember; basis: string; income: number | null; fen: number; from: number; habit: number; late: number; stopsAfter: number; silent: boolean }
  const accounts: Account[] = [];
  for (const m of members) {
    if (!PARTY.has(m.stage) || m.account === false) continue;
    const basis = m.categories.includes('RETIRED') ? 'RETIRED' : m.categories.includes('LAID_OFF') || m.categories.includes('HARDSHIP') ? 'FIXED' : 'EMPLOYED';
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const income = basis === 'FIXED' ? null
      : basis === 'RETIRED' ? Math.round(Math.min(15000, Math.max(1500, 3800 * Math.exp(0.35 * z))) / 10) * 10
      : Math.round(Math.min(60000, Math.max(2000, 6500 * Math.exp(0.5 * z))) / 10) * 10;
    // Incomes are whole tens and rates whole tenths of a percent: the amount is exact in fen.
    const fen = income === null ? 20 : Math.round(income * rate(income, basis === 'RETIRED' ? DEFAULT_RETIREE_BRACKETS : DEFAULT_EMPLOYED_BRACKETS) * 100);
    const from = Math.max(monthOfDay(m.joined!), jan);
    accounts.push({
      m, basis, income, fen, from, habit: r(), late: Math.floor(r() * 10), stopsAfter: Math.floor(r() * 6),
      silent: m.flags.includes('LOST_CONTACT') || m.flags.includes('POCKET_MEMBER'),
    });
    if (fen > 0) summary.add(m.unit, 'duesFrom', ymd(monthStart(from)).slice(0, 7));
  }
  // Accounts and payments in primary-key order (by member id; payments by month within a
  // member), so each key is built from sorted rows.
  accounts.sort((x, y) => (x.m.id < y.m.id ? -1 : x.m.id > y.m.id ? 1 : 0));
  const copyPayments = async () => {
    // Payments in COPY's binary format (eleven million rows for a city: parsing their text was
    // most of the server's work). recorded_at is the day's midnight in the session's time zone, as
    // `paid_on::timestamptz` gives it.
    const midnight = new Map((await paymentsClient.query<{ day: number; micros: string }>(
      `select (d::date - date '1970-01-01') as day, (extract(epoch from d::date::timestamptz) * 1000000)::bigint::text as micros
         from generate_series($1::date, $2::date, interval '1 day') d`, [ymd(monthStart(jan)), ymd(today)])).rows.map((x) => [x.day, Number(x.micros)]));
    const tenant = binaryUuid(tenantId);
    const seedBytes = Buffer.from('seed');
    const amounts = new Map<number, Buffer>();
    const w = new CopyBinaryWriter();
    // Payments per unit and month of this year, added to the summary once they are all written.
    const paidPerUnit = new Int32Array(units.length * 12);
    const payments = function* () {
      for (const a of accounts) {
        if (a.silent || a.fen <= 0) continue;
        let member: Buffer | undefined;
        let amount: Buffer | undefined;
        for (let mi = a.from; mi <= thisMonth; mi++) {
          const paid = a.habit < 0.88 ? monthStart(mi) + a.late
            : a.habit < 0.96 ? monthStart(mi - (mi % 3) + 2) + a.late
            : mi < a.from + a.stopsAfter ? monthStart(mi) + a.late : null;
          if (paid === null || paid > today) continue;
          paidPerUnit[a.m.unit * 12 + mi - jan]!++;
          member ??= binaryUuid(a.m.id);
          if (!amount) {
            amount = amounts.get(a.fen);
            if (!amount) amounts.set(a.fen, (amount = binaryNumeric2(a.fen)));
          }
          w.row(7);
          w.bytes(tenant);
          w.bytes(member);
          w.date(monthStart(mi));
          w.bytes(amount);
          w.date(paid);
          w.bytes(seedBytes);
          w.timestamp(midnight.get(paid)!);
          yield;
        }
      }
    };
    await copyBinary(paymentsClient, 'members.dues_payment', ['tenant_id', 'member_id', 'month', 'amount', 'paid_on', 'recorded_by', 'recorded_at'], w, payments(),
      undefined, { freeze: fresh.has('dues_payment') });
    for (let i = 0; i < paidPerUnit.length; i++) {
      if (paidPerUnit[i]) summary.add(Math.floor(i / 12), 'duesPaid', ymd(monthStart(jan + (i % 12))).slice(0, 7), paidPerUnit[i]);
    }
  };
  // On their own connection, the payments load while the accounts and points do.
  async function copyAccountsAndPoints() {
    // Binary rows: ids, paths (per unit), amounts and words encoded once each.
    const w = new CopyBinaryWriter();
    const tenant = binaryUuid(tenantId);
    const paths: (Buffer | undefined)[] = [];
    const path = (unit: number) => (paths[unit] ??= Buffer.concat([Buffer.from([1]), Buffer.from(units[unit]!.path)]));
    const numerics = new Map<number, Buffer>();
    const numeric = (hundredths: number) => { let b = numerics.get(hundredths); if (!b) numerics.set(hundredths, (b = binaryNumeric2(hundredths))); return b; };
    const updated = now.getTime() * 1000;
    await copyBinary(client, 'members.dues_account',
      ['tenant_id', 'member_id', 'org_path', 'monthly_income', 'monthly_amount', 'from_month', 'basis', 'member_active', 'updated_by', 'updated_at'], w,
      (function* () {
        for (const a of accounts) {
          w.row(10); w.bytes(tenant); w.uuid(a.m.id); w.bytes(path(a.m.unit));
          if (a.income === null) w.null(); else w.bytes(numeric(a.income * 100));
          w.bytes(numeric(a.fen)); w.date(monthStart(a.from)); w.bytes(textBytes(a.basis)); w.bool(true); w.bytes(SEED); w.timestamp(updated);
          yield;
        }
      })(), undefined, { freeze: fresh.has('dues_account') });
    // recorded_at is 1 January's midnight in the session's time zone, as the date's text gives it.
    const janDay = monthStart(jan);
    const { rows: [midnight] } = await client.query<{ micros: string }>(`select (extract(epoch from $1::date::timestamptz) * 1000000)::bigint::text as micros`, [ymd(janDay)]);
    const janMidnight = Number(midnight!.micros);
    const base = Buffer.from('BASE'), rule = Buffer.from(BASELINE), note = Buffer.from('yearly baseline');
    await copyBinary(client, 'members.point_event',
      ['tenant_id', 'member_id', 'org_path', 'year', 'kind', 'rule', 'points', 'requested', 'occurred_on', 'note', 'recorded_by', 'recorded_at'], w,
      (function* () {
        for (const m of members) {
          if (!PARTY.has(m.stage) || m.baseline === false || m.categories.some((c) => DEFAULT_EXEMPT.includes(c))) continue;
          w.row(12); w.bytes(tenant); w.uuid(m.id); w.bytes(path(m.unit)); w.int32(year); w.bytes(base); w.bytes(rule);
          w.int32(DEFAULT_BASELINE); w.int32(DEFAULT_BASELINE); w.date(janDay); w.bytes(note); w.bytes(SEED); w.timestamp(janMidnight);
          yield;
        }
      })(), undefined, { freeze: fresh.has('point_event') });
  }
  const payments = paymentsClient === client ? undefined : copyPayments();
  // A failure here still waits for the payments (their connection is ended after them).
  try {
    await copyAccountsAndPoints();
  } catch (e) {
    await payments?.catch(() => {});
    throw e;
  }
  await (payments ?? copyPayments());
}


