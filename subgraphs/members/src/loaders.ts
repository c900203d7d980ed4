import DataLoader from 'dataloader';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { badInput, byIdLoader, createSummaryCache, groupLoader, sessionVariables, sqlArray, type Principal, type SummaryCache } from '@trellis/platform';
import { birthRange, localDate, type AgeBand } from './domain/age.ts';
import { loadAgeBands, loadStatistics, type SubtreeStatistics } from './domain/statistics.ts';
import type { Stage } from './domain/recruitment.ts';
import { createProcessLoaders } from './processLoaders.ts';
import { readSettings, type SettingsRow } from './domain/points.ts';
import type { DuesBasis } from './domain/dues.ts';
import type { Education, Gender, MemberCategory, MemberFlag } from './generated/resolvers.ts';

/** A member row as the resolvers see it (dates as `YYYY-MM-DD` text). */
export interface MemberRow {
  id: string; tenant_id: string; org_unit_id: string; name: string; gender: Gender; birth_date: string;
  ethnicity: string; education: Education; phone: string | null; id_card_cipher: string; id_card_masked: string;
  stage: Stage; applied_on: string | null; activist_on: string | null; target_on: string | null;
  joined_on: string | null; full_on: string | null; categories: MemberCategory[]; flags: MemberFlag[]; reported_in_community: string | null;
  membership_status: 'ACTIVE' | 'TRANSFERRED_OUT';
}
export const MEMBER_COLUMNS = `m.id::text, m.tenant_id::text, m.org_unit_id::text, m.name, m.gender, m.birth_date::text, m.ethnicity,
  m.education, m.phone, m.id_card_cipher, m.id_card_masked, m.stage, m.applied_on::text, m.activist_on::text, m.target_on::text,
  m.joined_on::text, m.full_on::text, m.categories, m.flags, m.reported_in_community::text, m.membership_status`;

export interface StepRow { member_id: string; from_stage: Stage | null; to_stage: Stage; effective_on: string; approved_by: string | null; note: string | null; recorded_by: string; recorded_at: Date }

export interface DuesAccountRow { member_id: string; basis: DuesBasis; monthly_income: number | null; monthly_amount: number; from_month: string }
export interface DuesPaymentRow { member_id: string; month: string; amount: number; paid_on: string; recorded_by: string }
export interface PointEventRow {
  id: string; member_id: string; year: number; kind: string; rule: string; points: number; requested: number; occurred_on: string;
  source: string | null; note: string | null; recorded_by: string; key: string;
}

export interface PageArgs { first: number; after?: string | null; category?: string | null; status?: Stage | null; ageBand?: AgeBand | null }
export interface Page { rows: (MemberRow & { root_id: string })[]; hasNextPage: boolean }

/** Subtrees up to this many units are read by unit id, larger ones in name order (see pages): in the generated city a street has about 640 units, a district about 6,400. */
const SMALL_SUBTREE_UNITS = 2000;

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

export const encodeCursor = (m: { name: string; id: string }) => Buffer.from(JSON.stringify([m.name, m.id])).toString('base64url');
function decodeCursor(c: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && isUuid(v[1])) return [v[0], v[1]];
  } catch { /* falls through */ }
  throw badInput('The cursor is not one this service issued; pass pageInfo.endCursor of the previous page as `after`.', 'after');
}

/** Per-request loaders: member references, pages and statistics cost one statement per batch, not per item. */
export function createLoaders(em: SqlEntityManager, principal: Principal, now: () => Date, opts: { smallSubtreeUnits?: number; cache?: SummaryCache } = {}) {
  const smallSubtreeUnits = opts.smallSubtreeUnits ?? SMALL_SUBTREE_UNITS;
  const today = () => localDate(now());
  const cache = opts.cache ?? createSummaryCache();

  /**
   * One page per unit for many units with the same arguments, in two statements whatever the
   * number of units. Under row-level security an ltree `<@` is never an index condition, so a
   * subtree is not read by path: a small subtree is named by its unit ids (uuid equality, which
   * the (tenant_id, org_unit_id) index serves), a large one is walked in name order along the
   * (tenant_id, name, id) index, where the path test rejects few rows before the page is full.
   */
  async function pages(unitIds: readonly string[], args: PageArgs): Promise<Page[]> {
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > 100) throw badInput('`first` must be between 1 and 100.', 'first');
    const where: string[] = [];
    const filterParams: unknown[] = [];
    if (args.category) { where.push('? = any(m.categories)'); filterParams.push(args.category); }
    if (args.status) { where.push('m.stage = ?'); filterParams.push(args.status); }
    if (args.ageBand) {
      const r = birthRange(args.ageBand, today());
      where.push('m.birth_date > ?::date and m.birth_date <= ?::date');
      filterParams.push(r.after, r.onOrBefore);
    }
    if (args.after) {
      const [name, id] = decodeCursor(args.after);
      where.push('(m.name, m.id) > (?, ?::uuid)');
      filterParams.push(name, id);
    }
    const roots = await em.execute<{ root_id: string; path: string; units: string[] | null }[]>(
      // A subtree's units are the index range [path_key, path_key || '/') (migration 007).
      `select x.root_id, x.path::text,
              case when x.n <= ? then (select array_agg(d.unit_id::text) from members.unit_path d
                                        where d.tenant_id = platform.current_tenant() and d.path_key >= x.path_key and d.path_key < x.path_key || '/') end as units
         from (select up.unit_id::text as root_id, up.path, up.path_key,
                      (select count(*) from members.unit_path d
                        where d.tenant_id = platform.current_tenant() and d.path_key >= up.path_key and d.path_key < up.path_key || '/') as n
                 from members.unit_path up where up.unit_id = any(?::uuid[])) x`,
      [smallSubtreeUnits, sqlArray(unitIds.filter(isUuid))],
    );
    if (!roots.length) return unitIds.map(() => ({ rows: [], hasNextPage: false }));
    const params: unknown[] = [];
    const branches = roots.map((r) => {
      params.push(r.root_id, r.units ? sqlArray(r.units) : r.path, ...filterParams, args.first + 1);
      return `(select ?::text as root_id, ${MEMBER_COLUMNS} from members.member m
                where ${r.units ? 'm.org_unit_id = any(?::uuid[])' : 'm.org_path <@ ?::ltree'} and m.membership_status = 'ACTIVE'
                      ${where.map((w) => `and ${w}`).join(' ')}
                order by m.name, m.id limit ?)`;
    });
    const rows = await em.execute<(MemberRow & { root_id: string })[]>(branches.join(' union all '), params);
    return unitIds.map((u) => {
      const mine = rows.filter((r) => r.root_id === u);
      return { rows: mine.slice(0, args.first), hasNextPage: mine.length > args.first };
    });
  }

  return {
    ...createProcessLoaders(em),
    member: byIdLoader(
      (ids) => em.execute<MemberRow[]>(`select ${MEMBER_COLUMNS} from members.member m where m.id = any(?::uuid[])`, [sqlArray(ids.filter(isUuid))]),
      (m) => m.id,
    ),
    history: groupLoader(
      (ids: readonly string[]) => em.execute<StepRow[]>(
        `select member_id::text, from_stage, to_stage, effective_on::text, approved_by, note, recorded_by, recorded_at
           from members.recruitment_step where member_id = any(?::uuid[]) order by effective_on, recorded_at`, [sqlArray(ids)]),
      (s) => s.member_id,
    ),
    /** Keyed by unit id plus the page arguments; keys with equal arguments share one statement. */
    page: new DataLoader<{ unitId: string; args: PageArgs }, Page, string>(async (keys) => {
      const groups = new Map<string, { args: PageArgs; units: string[] }>();
      for (const k of keys) {
        const g = JSON.stringify(k.args);
        const entry = groups.get(g) ?? { args: k.args, units: [] };
        entry.units.push(k.unitId);
        groups.set(g, entry);
      }
      const results = new Map<string, Page | Error>();
      for (const [g, { args, units }] of groups) {
        try {
          const got = await pages(units, args);
          units.forEach((u, i) => results.set(`${u}|${g}`, got[i]!));
        } catch (e) {
          units.forEach((u) => results.set(`${u}|${g}`, e as Error));
        }
      }
      return keys.map((k) => results.get(`${k.unitId}|${JSON.stringify(k.args)}`)!);
    }, { cacheKeyFn: (k) => `${k.unitId}|${JSON.stringify(k.args)}` }),
    /** Statistics of many subtrees in one statement, from the maintained summaries. */
    statistics: new DataLoader<string, SubtreeStatistics>(async (unitIds) => {
      // Reused while the tenant's summaries are unchanged; what a unit's figures cover depends on
      // the caller's scope, the collection rate on the day.
      const day = today();
      const context = `${sessionVariables(principal)['app.scope_unit']}|${day}`;
      const got = await cache.through(em, 'members.summary_version', principal.tenantId, context, unitIds, (missing) => loadStatistics(em, missing, day));
      return unitIds.map((u) => got.get(u)!);
    }),
    /** Age bands of many subtrees in one statement (only when a query asks for them). */
    ageBands: new DataLoader<string, Map<AgeBand, number>>(async (unitIds) => {
      // Kept like the statistics (the same summaries, scope and day decide them).
      const day = today();
      const context = `${sessionVariables(principal)['app.scope_unit']}|${day}|ageBands`;
      const got = await cache.through(em, 'members.summary_version', principal.tenantId, context, unitIds, (missing) => loadAgeBands(em, missing, day));
      return unitIds.map((u) => got.get(u)!);
    }),
    /** Dues accounts by member id. */
    duesAccount: byIdLoader(
      (ids) => em.execute<DuesAccountRow[]>(
        `select member_id::text, basis, monthly_income::float8 as monthly_income, monthly_amount::float8 as monthly_amount, to_char(from_month, 'YYYY-MM') as from_month
           from members.dues_account where member_id = any(?::uuid[])`, [sqlArray(ids.filter(isUuid))]),
      (a) => a.member_id,
    ),
    /** Every dues payment of many members, oldest month first. */
    duesPayments: groupLoader(
      (ids: readonly string[]) => em.execute<DuesPaymentRow[]>(
        `select member_id::text, to_char(month, 'YYYY-MM') as month, amount::float8 as amount, paid_on::text, recorded_by
           from members.dues_payment where member_id = any(?::uuid[]) order by month`, [sqlArray(ids.filter(isUuid))]),
      (p) => p.member_id,
    ),
    /** Point events of many (member, year) pairs in one statement. */
    points: groupLoader(
      (keys: readonly string[]) => {
        const pairs = keys.map((k) => k.split('|') as [string, string]).filter(([m]) => isUuid(m));
        return em.execute<PointEventRow[]>(
          `select e.id::text, e.member_id::text, e.year, e.kind, e.rule, e.points, e.requested, e.occurred_on::text, e.source, e.note, e.recorded_by,
                  e.member_id::text || '|' || e.year as key
             from unnest(?::uuid[], ?::int[]) as k(member_id, year)
             join members.point_event e on e.member_id = k.member_id and e.year = k.year
            order by e.occurred_on, e.recorded_at`,
          [sqlArray(pairs.map((p) => p[0])), sqlArray(pairs.map((p) => p[1]))]);
      },
      (e) => e.key,
    ),
    /** The tenant's ledger settings row (undefined: defaults). */
    ledgerSettings: new DataLoader<'tenant', SettingsRow | undefined>(async (keys) => {
      const row = await readSettings(em);
      return keys.map(() => row);
    }),
    /**
     * Records unmasked personal-data reads before they are returned. The request's own
     * transaction is read-only for queries, so the audit is written in its own short transaction
     * (same tenant and scope) and commits even if the request later fails: over-recording is safe.
     */
    audit: new DataLoader<string, true>(async (keys) => {
      // Keys are `memberId|field|requestId`.
      const pairs = keys.map((k) => k.split('|') as [string, string, string]);
      await em.fork().execute(
        `insert into members.personal_data_read (tenant_id, member_id, field, principal, request_id)
         select ?::uuid, member_id, field, ?, ? from unnest(?::uuid[], ?::text[]) as a(member_id, field)`,
        [principal.tenantId, principal.sub, pairs[0]![2], sqlArray(pairs.map((p) => p[0])), sqlArray(pairs.map((p) => p[1]))],
      );
      return keys.map(() => true as const);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
