// Bulk generator entry point of the members subgraph (`npm run seed`): the unit-path copy straight
// from the generated tree (with the event cursors set to where the organisation stream stands, so
// followers resume after the seeded units), then realistic members streamed through COPY into a
// staging table and moved into members.member with one INSERT … SELECT.
//
// Proportions (DOMAIN.md §2): retirees are most of a community's members, in-service members
// register in at their community, about 3 % are probationary, a few percent are in the pipeline
// (applicant → activist → development target); education follows the generation.
import type pg from 'pg';
import { copyRows, type CopyValue } from '@trellis/platform/db/copy.ts';
import { mulberry32, pick, weighted } from '@trellis/platform/seed/prng.ts';
import { seedUnitCopy } from '@trellis/platform/seed/unitCopy.ts';
import { blindIndex, encrypt, idCardCheck, maskIdCard } from './domain/personalData.ts';
import { DEFAULT_EMPLOYED_BRACKETS, DEFAULT_RETIREE_BRACKETS, type Bracket } from './domain/dues.ts';
import { BASELINE, DEFAULT_BASELINE, DEFAULT_EXEMPT } from './domain/points.ts';

import type { SeedInput, SeedMember, SeedUnit } from '@trellis/platform/seed/contract.ts';

export type { SeedInput, SeedMember, SeedUnit };

const DEFAULT_COUNT = { demo: 1_200, district: 50_000, 'city-1m': 1_000_000 } as const;
/** Relative number of members attached to a unit of each kind. */
const WEIGHT: Record<string, number> = {
  GRID: 20, BUILDING_GROUP: 12, COMMUNITY: 8, VILLAGE: 30,
  COMMERCIAL_BUILDING_BRANCH: 25, MARKET_BRANCH: 15, JOINT_BRANCH: 20, NEW_ORGANISATION_BRANCH: 25,
  ENTERPRISE_BRANCH: 40, FLOATING_MEMBER_BRANCH: 30, ONLINE_BRANCH: 10,
};
const RESIDENTIAL = new Set(['GRID', 'BUILDING_GROUP', 'COMMUNITY', 'VILLAGE']);
const ETHNICITY: [string, number][] = [['汉族', 93], ['回族', 1.5], ['满族', 1.5], ['壮族', 1.5], ['土家族', 1.5], ['蒙古族', 1]];
const SURNAMES: [string, number][] = [
  ['王', 72], ['李', 71], ['张', 68], ['刘', 54], ['陈', 46], ['杨', 33], ['黄', 25], ['赵', 20], ['吴', 20], ['周', 19], ['徐', 14], ['孙', 12],
  ['马', 12], ['朱', 11], ['胡', 10], ['郭', 10], ['何', 9], ['林', 9], ['高', 9], ['罗', 8], ['郑', 7], ['梁', 7], ['谢', 6], ['宋', 6], ['唐', 6],
  ['许', 5], ['韩', 5], ['冯', 5], ['邓', 5], ['曹', 5], ['彭', 4], ['曾', 4], ['肖', 4], ['田', 4], ['董', 4], ['袁', 4], ['潘', 3], ['于', 3],
  ['蒋', 3], ['蔡', 3], ['余', 3], ['杜', 3], ['叶', 3], ['程', 3], ['苏', 3], ['魏', 3], ['吕', 3], ['丁', 3], ['任', 3], ['沈', 2], ['姚', 2],
  ['卢', 2], ['姜', 2], ['崔', 2], ['钟', 2], ['谭', 2], ['陆', 2], ['汪', 2], ['范', 2], ['金', 2], ['石', 2], ['廖', 2], ['贾', 2], ['夏', 2], ['欧阳', 1],
];
const GIVEN = {
  olderMale: ['建国', '国庆', '德明', '志强', '建华', '卫东', '振华', '文斌', '春生', '永明', '国华', '建军', '跃进', '胜利', '保国', '福生', '长青', '明德'],
  olderFemale: ['秀英', '桂兰', '淑珍', '玉兰', '凤英', '秀兰', '丽华', '红梅', '桂英', '玉梅', '淑英', '秀珍', '凤兰', '美华', '素芳', '月英', '金凤', '爱华'],
  youngerMale: ['浩然', '子轩', '宇航', '俊杰', '博文', '晨阳', '思远', '泽宇', '鹏', '磊', '伟', '涛', '超', '杰', '晓东', '海涛', '志远', '一鸣'],
  youngerFemale: ['婷婷', '思雨', '欣怡', '雨涵', '佳琪', '梦瑶', '静', '敏', '丹', '琳', '晓燕', '海燕', '雪', '倩', '颖', '诗涵', '梓萱', '文静'],
};
const EDUCATION_BY_ERA: [number, [string, number][]][] = [
  [1950, [['PRIMARY', 30], ['JUNIOR_SECONDARY', 35], ['SENIOR_SECONDARY', 20], ['VOCATIONAL', 5], ['JUNIOR_COLLEGE', 6], ['BACHELOR', 4]]],
  [1970, [['PRIMARY', 10], ['JUNIOR_SECONDARY', 30], ['SENIOR_SECONDARY', 30], ['VOCATIONAL', 10], ['JUNIOR_COLLEGE', 12], ['BACHELOR', 8]]],
  [1985, [['JUNIOR_SECONDARY', 10], ['SENIOR_SECONDARY', 20], ['VOCATIONAL', 15], ['JUNIOR_COLLEGE', 25], ['BACHELOR', 25], ['POSTGRADUATE', 5]]],
  [9999, [['SENIOR_SECONDARY', 5], ['VOCATIONAL', 10], ['JUNIOR_COLLEGE', 25], ['BACHELOR', 48], ['POSTGRADUATE', 12]]],
];
const WORKING: [string, number][] = [['IN_SERVICE', 40], ['SELF_MANAGED', 25], ['FLOATING_IN', 10], ['LAID_OFF', 8], ['NEW_ORGANISATION', 17]];

const DAY = 86_400_000;
const dates = new Map<number, string>();
/** Day number → 'YYYY-MM-DD', memoised (a few thousand distinct days serve a million rows). */
function ymd(day: number): string {
  let s = dates.get(day);
  if (s === undefined) { s = new Date(day * DAY).toISOString().slice(0, 10); dates.set(day, s); }
  return s;
}
function uuid(r: () => number): string {
  const h = (n: number) => Math.floor(r() * 0x100000000).toString(16).padStart(8, '0').slice(0, n);
  return `${h(8)}-${h(4)}-4${h(3)}-${(8 + Math.floor(r() * 4)).toString(16)}${h(3)}-${h(6)}${h(6)}`;
}

const MEMBER_COLUMNS = ['id', 'org_unit_id', 'name', 'gender', 'birth_date', 'ethnicity', 'education', 'phone', 'id_card_cipher', 'id_card_masked',
  'id_card_hash', 'stage', 'applied_on', 'activist_on', 'target_on', 'joined_on', 'full_on', 'categories', 'flags', 'reported_in_community'] as const;

/** The members of one tenant as COPY rows, generated lazily (a million never sit in memory as objects). */
export function* generateMembers(input: Omit<SeedInput, 'client'>): Generator<CopyValue[]> {
  const r = mulberry32((input.seed ^ 0x5eed) + [...input.tenantId].reduce((s, c) => (s * 31 + c.charCodeAt(0)) >>> 0, 7));
  const total = input.memberCount ?? DEFAULT_COUNT[input.profile];
  const today = Math.floor(input.now.getTime() / DAY);
  const year = input.now.getUTCFullYear();
  const region = input.regionCode ?? 420102;
  // Each unit's district index (for the ID region code) and community (where in-service members register in).
  const info = new Map<string, { district: number; community: string | null }>();
  const districts: string[] = [];
  const communitiesByDistrict = new Map<number, string[]>();
  for (const u of input.units) {
    const parent = u.parentId ? info.get(u.parentId) : undefined;
    let district = parent?.district ?? -1;
    if (u.kind === 'DISTRICT' || u.kind === 'TOWNSHIP') { district = districts.length; districts.push(u.id); }
    const community = u.kind === 'COMMUNITY' ? u.id : parent?.community ?? null;
    info.set(u.id, { district, community });
    if (u.kind === 'COMMUNITY') communitiesByDistrict.set(district, [...(communitiesByDistrict.get(district) ?? []), u.id]);
  }
  // Members per unit: proportional to its kind's weight, the remainder spread at random.
  const hosts = input.units.filter((u) => WEIGHT[u.kind]);
  const weights = hosts.map((u) => WEIGHT[u.kind]! * (0.6 + 0.8 * r()));
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((w * total) / sum));
  for (let left = total - counts.reduce((a, b) => a + b, 0); left > 0; left--) counts[Math.floor(r() * counts.length)]!++;
  const seen = new Set<string>();
  for (let h = 0; h < hosts.length; h++) {
    const unit = hosts[h]!;
    const where = info.get(unit.id)!;
    const residential = RESIDENTIAL.has(unit.kind);
    for (let i = 0; i < counts[h]!; i++) {
      const id = uuid(r);
      const roll = r();
      const stage = roll < 0.93 ? 'FULL' : roll < 0.96 ? 'PROBATIONARY' : roll < 0.97 ? 'DEVELOPMENT_TARGET' : roll < 0.985 ? 'ACTIVIST' : 'APPLICANT';
      const party = stage === 'FULL' || stage === 'PROBATIONARY';
      // Age: most community members are retired; branches in workplaces are of working age; the pipeline is young.
      const age = stage !== 'FULL' ? 19 + Math.floor(r() * 22)
        : residential && r() < 0.62 ? 60 + Math.floor(Math.pow(r(), 1.4) * 33)
        : 23 + Math.floor(r() * 37);
      const birth = Date.UTC(year - age, 0, 1) / DAY - Math.floor(r() * 365) - 1;
      const bornYear = new Date(birth * DAY).getUTCFullYear();
      const male = r() < (bornYear < 1970 ? 0.66 : 0.54);
      const older = bornYear < 1975;
      const given = male ? (older ? GIVEN.olderMale : GIVEN.youngerMale) : (older ? GIVEN.olderFemale : GIVEN.youngerFemale);
      const name = weighted(r, SURNAMES) + pick(r, given);
      const education = weighted(r, EDUCATION_BY_ERA.find(([before]) => bornYear < before)![1]);
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
      const flags: string[] = [];
      if (party) {
        const f = r();
        if (f < 0.004) flags.push('LOST_CONTACT');
        else if (f < 0.007) flags.push('NOMINAL_ATTACHMENT');
        else if (f < 0.009) flags.push('POCKET_MEMBER');
        else if (f < 0.011) flags.push('INVISIBLE_MEMBER');
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
      const birthText = ymd(birth);
      let number = '';
      do {
        const seq = Math.floor(r() * 500) * 2 + (male ? 1 : 0);
        const first17 = `${region + Math.max(0, where.district)}${birthText.replace(/-/g, '')}${String(seq).padStart(3, '0')}`;
        number = first17 + idCardCheck(first17);
      } while (seen.has(number));
      seen.add(number);
      yield [
        id, unit.id, name, male ? 'MALE' : 'FEMALE', birthText, weighted(r, ETHNICITY), education,
        `1${pick(r, ['39', '38', '37', '58', '86', '88', '33', '77', '35', '52'])}${String(Math.floor(r() * 1e8)).padStart(8, '0')}`,
        encrypt(number, `${input.tenantId}:${id}`), maskIdCard(number), blindIndex(input.tenantId, number),
        stage, applied === null ? null : ymd(applied), activist === null ? null : ymd(activist), target === null ? null : ymd(target),
        joined === null ? null : ymd(joined), full === null ? null : ymd(full), cats, flags, reported,
      ];
    }
  }
}

export async function seed(input: SeedInput): Promise<void> {
  const { client, tenantId } = input;
  await client.query('BEGIN');
  try {
    await client.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    // The path trigger and foreign-key triggers are replaced by the join below (paths straight
    // from the unit copy); the rows are consistent by construction.
    await client.query('SET LOCAL session_replication_role = replica');
    // The copy of the tree stands where the organisation stream stands: followers resume after it.
    await seedUnitCopy(client, 'members', input);

    await client.query(`create temp table seed_member (
      id uuid, org_unit_id uuid, name text, gender text, birth_date date, ethnicity text, education text, phone text, id_card_cipher text,
      id_card_masked text, id_card_hash text, stage text, applied_on date, activist_on date, target_on date, joined_on date, full_on date,
      categories text[], flags text[], reported_in_community uuid) on commit drop`);
    await copyRows(client, 'seed_member', MEMBER_COLUMNS, generateMembers(input), input.progress);
    // A load larger than what the tables hold builds their indexes once afterwards instead of
    // maintaining them row by row. Inside the transaction: a failure restores them untouched.
    const existing = Number((await client.query<{ n: string }>(`select reltuples::bigint::text as n from pg_class where oid = 'members.member'::regclass`)).rows[0]!.n);
    const bulk = (input.memberCount ?? DEFAULT_COUNT[input.profile]) > Math.max(10_000, existing);
    const restore: (() => Promise<void>)[] = [];
    if (bulk) {
      await client.query(`set local maintenance_work_mem = '512MB'`);
      for (const table of ['member', 'recruitment_step', 'dues_account', 'dues_payment', 'point_event']) restore.push(await deferIndexes(client, `members.${table}`));
    }
    await client.query(
      `insert into members.member (tenant_id, ${MEMBER_COLUMNS.join(', ')}, org_path, created_at, updated_at)
       select $1, ${MEMBER_COLUMNS.map((c) => `m.${c}`).join(', ')}, u.path, $2, $2
         from seed_member m join members.unit_path u on u.tenant_id = $1 and u.unit_id = m.org_unit_id`, [tenantId, input.now.toISOString()]);
    // The current stage's step, as a registry that was migrated in would record it.
    await client.query(
      `insert into members.recruitment_step (tenant_id, member_id, to_stage, effective_on, note, recorded_by, recorded_at)
       select $1, id, stage, coalesce(full_on, joined_on, target_on, activist_on, applied_on), '批量导入', 'seed', $2 from seed_member`,
      [tenantId, input.now.toISOString()]);
    await seedLedgers(client, input);
    // Row triggers were off: the summaries are built once from the loaded rows, with the same
    // contribution definitions the triggers maintain them by afterwards (aggregated in memory).
    // The planner must know this load's rows first: with the statistics of an empty table (the
    // first tenant) or of another tenant's million rows (the next ones) it sorted and joined them
    // in plans made for the wrong sizes, minutes instead of seconds. ANALYZE sees this
    // transaction's own rows.
    await client.query(`set local work_mem = '512MB'`);
    await client.query('analyze members.member; analyze members.dues_account; analyze members.dues_payment; analyze members.unit_path');
    await client.query('select members.rebuild_rollups($1)', [tenantId]);
    for (const r of restore) await r();
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
  await client.query('analyze members.member; analyze members.unit_path; analyze members.recruitment_step; analyze members.dues_account; '
    + 'analyze members.dues_payment; analyze members.point_event; analyze members.member_rollup; analyze members.member_reported_in');
}

/**
 * Drops a table's indexes before a bulk load and returns what rebuilds them (each by one sort).
 * Unique and primary-key constraints go too unless another table's foreign key needs them.
 */
async function deferIndexes(client: pg.Client, table: string): Promise<() => Promise<void>> {
  const { rows } = await client.query<{ index: string; def: string; con: string | null; condef: string | null }>(
    `select i.indexrelid::regclass::text as index, pg_get_indexdef(i.indexrelid) as def, c.conname as con, pg_get_constraintdef(c.oid) as condef
       from pg_index i left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid
      where i.indrelid = $1::regclass
        and (c.oid is null or (c.contype in ('p', 'u') and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.confrelid = i.indrelid)))`,
    [table]);
  for (const r of rows) await client.query(r.con ? `alter table ${table} drop constraint ${r.con}` : `drop index ${r.index}`);
  return async () => {
    for (const r of rows) await client.query(r.con ? `alter table ${table} add constraint ${r.con} ${r.condef}` : r.def);
  };
}

/** The dues rate of an income (SQL expression) by brackets, as monthlyDues computes it. */
const rateSql = (income: string, brackets: readonly Bracket[]) =>
  `case ${[...brackets].sort((a, b) => b.above - a.above).map((b) => `when ${income} > ${b.above} then ${b.rate}`).join(' ')} else ${brackets[0]!.rate} end`;
/** A uniform number in [0, 1) drawn from the member id and the seed: the same seed gives the same ledgers. */
const uniform = (salt: number) => `((hashtextextended(m.id::text, $2::bigint + ${salt}) & 1048575)::float8 / 1048576)`;

/**
 * Dues accounts, this year's payments and the points baseline of every Party member, set-based
 * from the loaded members (DOMAIN.md §5). Accounts start in January or at admission. Income is
 * log-normal around ¥6,500 after tax for the employed and a ¥3,800 pension for retirees; laid-off
 * and hardship members pay a fixed ¥0.20. Most members pay each month in its first ten days, some
 * settle a quarter at its end, a few stopped paying after some months, and members who lost
 * contact or were never handed over pay nothing: a collection rate of about 95 %.
 */
async function seedLedgers(client: pg.Client, input: SeedInput): Promise<void> {
  const { tenantId, now } = input;
  const today = now.toISOString().slice(0, 10);
  const jan = `${today.slice(0, 4)}-01-01`;
  const thisMonth = `${today.slice(0, 7)}-01`;
  const seedKey = String(input.seed);
  // Each Party member's account and paying habit, drawn once (a temporary table writes no WAL).
  await client.query(
    `create temp table seed_dues on commit drop as
     select m.id as member_id, m.org_path, i.basis, i.income,
            case i.basis when 'FIXED' then 0.20
                         when 'RETIRED' then round(i.income * ${rateSql('i.income', DEFAULT_RETIREE_BRACKETS)}, 2)
                         else round(i.income * ${rateSql('i.income', DEFAULT_EMPLOYED_BRACKETS)}, 2) end as amount,
            greatest(date_trunc('month', m.joined_on)::date, $3::date) as from_month,
            ${uniform(3)} as habit, floor(${uniform(4)} * 10)::int as late, floor(${uniform(5)} * 6)::int as stops_after,
            m.flags && array['LOST_CONTACT', 'POCKET_MEMBER'] as silent
       from members.member m
       cross join lateral (select case when 'RETIRED' = any (m.categories) then 'RETIRED'
                                       when m.categories && array['LAID_OFF', 'HARDSHIP'] then 'FIXED' else 'EMPLOYED' end as basis,
                                  sqrt(-2 * ln(1 - ${uniform(1)})) * cos(2 * pi() * ${uniform(2)}) as z) g
       cross join lateral (select g.basis, case g.basis
                                  when 'FIXED' then null
                                  when 'RETIRED' then round(least(15000, greatest(1500, 3800 * exp(0.35 * g.z)))::numeric, -1)
                                  else round(least(60000, greatest(2000, 6500 * exp(0.5 * g.z)))::numeric, -1) end as income) i
      where m.tenant_id = $1 and m.stage in ('PROBATIONARY', 'FULL') and m.membership_status = 'ACTIVE'`,
    [tenantId, seedKey, jan]);
  await client.query(
    `insert into members.dues_account (tenant_id, member_id, org_path, monthly_income, monthly_amount, from_month, basis, member_active, updated_by, updated_at)
     select $1, member_id, org_path, income, amount, from_month, basis, true, 'seed', $2 from seed_dues`,
    [tenantId, now.toISOString()]);
  await client.query(
    `insert into members.dues_payment (tenant_id, member_id, month, amount, paid_on, recorded_by, recorded_at)
     select $1, d.member_id, mo.month::date, d.amount, p.paid_on, 'seed', p.paid_on::timestamptz
       from seed_dues d
       cross join lateral generate_series(d.from_month, $2::date, interval '1 month') mo(month)
       cross join lateral (select case
                when d.habit < 0.88 then mo.month::date + d.late
                when d.habit < 0.96 then (date_trunc('quarter', mo.month) + interval '2 months')::date + d.late
                when mo.month < d.from_month + d.stops_after * interval '1 month' then mo.month::date + d.late
              end as paid_on) p
      where d.amount > 0 and not d.silent and p.paid_on <= $3::date`,
    [tenantId, thisMonth, today]);
  await client.query(
    `insert into members.point_event (tenant_id, member_id, org_path, year, kind, rule, points, requested, occurred_on, note, recorded_by, recorded_at)
     select $1, m.id, m.org_path, $2, 'BASE', $3, $4, $4, $5::date, 'yearly baseline', 'seed', $5::date::timestamptz
       from members.member m
      where m.tenant_id = $1 and m.stage in ('PROBATIONARY', 'FULL') and m.membership_status = 'ACTIVE' and not m.categories && $6::text[]`,
    [tenantId, Number(today.slice(0, 4)), BASELINE, DEFAULT_BASELINE, jan, DEFAULT_EXEMPT]);
}
