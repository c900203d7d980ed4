import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sqlArray, isUuid } from '@trellis/platform';
import { AGE_BANDS, type AgeBand } from './age.ts';
import { collectionRate } from './dues.ts';
import type { Education, MemberCategory, MemberFlag, RecruitmentStage } from '../generated/resolvers.ts';

/** One summary row as the rollup query returns it. */
export interface RollupRow { root_id: string; dim: string; key: string; count: number }

/** Statistics of one subtree, as MemberStatistics presents them. */
export interface SubtreeStatistics {
  stages: Map<RecruitmentStage, number>;
  categories: Map<MemberCategory, number>;
  flags: Map<MemberFlag, number>;
  education: Map<Education, number>;
  inServiceReportedIn: number;
  duesCollectionRate: number | null;
}

/**
 * Birth months in which the age band is not the same for every day of the month on `today`:
 * the month of today's month in the birth year of the people turning a band's lower bound.
 * Their members are split by birth day (the month's `days` counts in member_rollup); every other
 * month's band follows from the month alone. (A unit's own members are read with their dates.)
 */
export function ambiguousBirthMonths(today: string): string[] {
  const year = Number(today.slice(0, 4));
  return AGE_BANDS.slice(1).map((b) => `${String(year - b.min).padStart(4, '0')}-${today.slice(5, 7)}`);
}

/** Dimensions of member_rollup read whole per unit; birth months are read as age bands, apart. */
const DIMS = ['stage', 'category', 'flag', 'education', 'reportedIn', 'duesFrom', 'duesPaid'];

/** SQL: the age band of the age `a.age`. */
const BAND_SQL = `case ${AGE_BANDS.map((b) => `when a.age <= ${b.max} then '${b.band}'`).join(' ')} end`;

/**
 * The units asked for, each with the unit whose summaries answer for it (`eff`): a unit outside
 * the caller's scope that contains the scope unit answers for the part the caller can see (the
 * scope unit's subtree), as a scan of visible members would; any other unit answers zeros (is
 * left out here). Bound parameter: the unit ids.
 */
const ROOTS_CTE = `scope as (select s.unit_id, s.path from members.unit_path s where s.unit_id = nullif(platform.scope_label(), '')::uuid),
          roots as materialized (
            select r.unit_id as root_id, x.eff
              from unnest(?::uuid[]) as r(unit_id)
              join members.unit_path up on up.unit_id = r.unit_id
              left join scope on true
              cross join lateral (select case when platform.in_scope(up.path) then up.unit_id when scope.path <@ up.path then scope.unit_id end as eff) x
             where x.eff is not null)`;

const emptyStatistics = (): SubtreeStatistics => ({ stages: new Map(), categories: new Map(), flags: new Map(), education: new Map(), inServiceReportedIn: 0, duesCollectionRate: null });
const add = <K>(m: Map<K, number>, k: K, n: number) => m.set(k, (m.get(k) ?? 0) + n);

/**
 * Statistics for many units in one statement, from the maintained summary only (member_rollup,
 * read by ancestor id: an equality the primary key answers under row-level security, where an
 * ltree `<@` on members could only filter a scan). Age bands are read apart (`loadAgeBands`),
 * only when asked for: they are most of a unit's summary rows.
 */
export async function loadStatistics(em: SqlEntityManager, unitIds: readonly string[], today: string): Promise<Map<string, SubtreeStatistics>> {
  const rows = await em.execute<RollupRow[]>(
    `with ${ROOTS_CTE}
     select roots.root_id::text, mr.dim, mr.key, mr.count
       from roots join members.member_rollup mr on mr.tenant_id = platform.current_tenant() and mr.ancestor_id = roots.eff and mr.dim = any(?::text[])
      where mr.count <> 0`,
    [sqlArray(unitIds.filter(isUuid)), sqlArray(DIMS)],
  );
  const out = new Map<string, SubtreeStatistics>();
  for (const id of unitIds) out.set(id, emptyStatistics());
  const dues = new Map<string, { from: Map<string, number>; paid: Map<string, number> }>();
  for (const r of rows) {
    const s = out.get(r.root_id);
    if (!s) continue;
    const d = dues.get(r.root_id) ?? { from: new Map(), paid: new Map() };
    dues.set(r.root_id, d);
    switch (r.dim) {
      case 'stage': add(s.stages, r.key as RecruitmentStage, r.count); break;
      case 'category': add(s.categories, r.key as MemberCategory, r.count); break;
      case 'flag': add(s.flags, r.key as MemberFlag, r.count); break;
      case 'education': add(s.education, r.key as Education, r.count); break;
      case 'reportedIn': s.inServiceReportedIn = r.count; break;
      case 'duesFrom': add(d.from, r.key, r.count); break;
      case 'duesPaid': add(d.paid, r.key, r.count); break;
    }
  }
  for (const [id, d] of dues) out.get(id)!.duesCollectionRate = collectionRate(d.from, d.paid, today);
  return out;
}

/** Party members per age band on `today` for many units in one statement, from the birth-month summaries. */
export async function loadAgeBands(em: SqlEntityManager, unitIds: readonly string[], today: string): Promise<Map<string, Map<AgeBand, number>>> {
  const ambiguous = ambiguousBirthMonths(today);
  const [year, month, day] = [Number(today.slice(0, 4)), Number(today.slice(5, 7)), Number(today.slice(8, 10))];
  const rows = await em.execute<RollupRow[]>(
    `with ${ROOTS_CTE}
     -- Some nine hundred birth months per unit, summed into six bands here rather than sent over:
     -- the age reached this year, less one when the birthday month is still ahead.
     select roots.root_id::text, ${BAND_SQL} as key, sum(mr.count)::int as count
       from roots join members.member_rollup mr on mr.tenant_id = platform.current_tenant() and mr.ancestor_id = roots.eff and mr.dim = 'birthMonth'
       cross join lateral (select ?::int - substr(mr.key, 1, 4)::int - (substr(mr.key, 6, 2)::int > ?::int)::int as age) a
      where mr.count <> 0 and not mr.key = any(?::text[])
      group by 1, 2
     union all
     -- The months straddling a boundary today: members born up to today's day of the month have
     -- had this year's birthday, the rest of the month are a year younger.
     select roots.root_id::text, ${BAND_SQL}, sum(a.n)::int
       from roots join members.member_rollup mr on mr.tenant_id = platform.current_tenant() and mr.ancestor_id = roots.eff
                                               and mr.dim = 'birthMonth' and mr.key = any(?::text[])
       cross join lateral (select coalesce(sum(n), 0)::int as passed from unnest(mr.days[1:?::int]) n) p
       cross join lateral (values (?::int - substr(mr.key, 1, 4)::int, p.passed), (?::int - substr(mr.key, 1, 4)::int - 1, mr.count - p.passed)) as a(age, n)
      where mr.count <> 0
      group by 1, 2
     union all
     -- Birth months count the members below a unit; the unit's own (a grid's, a branch's: a few
     -- dozen) are read by unit.
     select roots.root_id::text, ${BAND_SQL}, count(*)::int
       from roots join members.member m on m.tenant_id = platform.current_tenant() and m.org_unit_id = roots.eff
       cross join lateral (select ?::int - extract(year from m.birth_date)::int - (to_char(m.birth_date, 'MM-DD') collate "C" > ?)::int as age) a
      where m.stage in ('PROBATIONARY', 'FULL') and m.membership_status = 'ACTIVE'
      group by 1, 2`,
    [sqlArray(unitIds.filter(isUuid)), year, month, sqlArray(ambiguous), sqlArray(ambiguous), day, year, year, year, today.slice(5)],
  );
  const out = new Map<string, Map<AgeBand, number>>();
  for (const id of unitIds) out.set(id, new Map());
  for (const r of rows) {
    const bands = out.get(r.root_id);
    if (bands) add(bands, r.key as AgeBand, r.count);
  }
  return out;
}
