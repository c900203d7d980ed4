import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sqlArray, isUuid } from '@trellis/platform';
import { AGE_BANDS, ageBandOf, ageOn, type AgeBand } from './age.ts';
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
  ageBands: Map<AgeBand, number>;
  inServiceReportedIn: number;
  duesCollectionRate: number | null;
}

/**
 * Birth months in which the age band is not the same for every day of the month on `today`:
 * the month of today's month in the birth year of the people turning a band's lower bound.
 * Those months are counted exactly by birth day (member_rollup 'birthDay'); every other month's
 * band follows from the month alone.
 */
export function ambiguousBirthMonths(today: string): string[] {
  const year = Number(today.slice(0, 4));
  return AGE_BANDS.slice(1).map((b) => `${String(year - b.min).padStart(4, '0')}-${today.slice(5, 7)}`);
}

/** Dimensions of member_rollup read whole per unit; birth months are read as age bands, birth days only for the ambiguous months. */
const DIMS = ['stage', 'category', 'flag', 'education', 'reportedIn', 'duesFrom', 'duesPaid'];

/** SQL: the age band on today of people born in the month `key` ('YYYY-MM'), for a month that is not ambiguous. */
const MONTH_BAND_SQL = (year: string, month: string) =>
  `case ${AGE_BANDS.map((b) => `when ${year} - substr(mr.key, 1, 4)::int - (substr(mr.key, 6, 2)::int > ${month})::int <= ${b.max} then '${b.band}'`).join(' ')} end`;

/** Every day (`YYYY-MM-DD`) of the given months (`YYYY-MM`). */
function daysOf(months: readonly string[]): string[] {
  const out: string[] = [];
  for (const m of months) {
    const [y, mo] = [Number(m.slice(0, 4)), Number(m.slice(5, 7))];
    const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    for (let d = 1; d <= last; d++) out.push(`${m}-${String(d).padStart(2, '0')}`);
  }
  return out;
}

/**
 * Statistics for many units in one statement, from the maintained summary only (member_rollup,
 * read by ancestor id: an equality the primary key answers under row-level security, where an
 * ltree `<@` on members could only filter a scan). A unit outside the caller's scope that
 * contains the scope unit answers for the part the caller can see (the scope unit's subtree), as
 * a scan of visible members would; any other unit answers zeros.
 */
export async function loadStatistics(em: SqlEntityManager, unitIds: readonly string[], today: string): Promise<Map<string, SubtreeStatistics>> {
  const ambiguous = ambiguousBirthMonths(today);
  const rows = await em.execute<RollupRow[]>(
    `with scope as (select s.unit_id, s.path from members.unit_path s where s.unit_id = nullif(platform.scope_label(), '')::uuid),
          roots as materialized (
            select r.unit_id as root_id, x.eff
              from unnest(?::uuid[]) as r(unit_id)
              join members.unit_path up on up.unit_id = r.unit_id
              left join scope on true
              cross join lateral (select case when platform.in_scope(up.path) then up.unit_id when scope.path <@ up.path then scope.unit_id end as eff) x
             where x.eff is not null)
     select roots.root_id::text, mr.dim, mr.key, mr.count
       from roots join members.member_rollup mr on mr.tenant_id = platform.current_tenant() and mr.ancestor_id = roots.eff and mr.dim = any(?::text[])
      where mr.count <> 0
     union all
     -- Some nine hundred birth months per unit, summed into six bands here rather than sent over.
     select roots.root_id::text, 'ageBand', ${MONTH_BAND_SQL('?::int', '?::int')}, sum(mr.count)::int
       from roots join members.member_rollup mr on mr.tenant_id = platform.current_tenant() and mr.ancestor_id = roots.eff and mr.dim = 'birthMonth'
      where mr.count <> 0 and not mr.key = any(?::text[])
      group by 1, 3
     union all
     select roots.root_id::text, mr.dim, mr.key, mr.count
       from roots join members.member_rollup mr on mr.tenant_id = platform.current_tenant() and mr.ancestor_id = roots.eff
                                               and mr.dim = 'birthDay' and mr.key = any(?::text[])
      where mr.count <> 0`,
    [sqlArray(unitIds.filter(isUuid)), sqlArray(DIMS), ...AGE_BANDS.flatMap(() => [Number(today.slice(0, 4)), Number(today.slice(5, 7))]),
      sqlArray(ambiguous), sqlArray(daysOf(ambiguous))],
  );
  const out = new Map<string, SubtreeStatistics>();
  for (const id of unitIds) {
    out.set(id, { stages: new Map(), categories: new Map(), flags: new Map(), education: new Map(), ageBands: new Map(), inServiceReportedIn: 0, duesCollectionRate: null });
  }
  const dues = new Map<string, { from: Map<string, number>; paid: Map<string, number> }>();
  const add = <K>(m: Map<K, number>, k: K, n: number) => m.set(k, (m.get(k) ?? 0) + n);
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
      case 'ageBand': add(s.ageBands, r.key as AgeBand, r.count); break;
      case 'birthDay': add(s.ageBands, ageBandOf(ageOn(r.key, today)), r.count); break;
      case 'reportedIn': s.inServiceReportedIn = r.count; break;
      case 'duesFrom': add(d.from, r.key, r.count); break;
      case 'duesPaid': add(d.paid, r.key, r.count); break;
    }
  }
  for (const [id, d] of dues) out.get(id)!.duesCollectionRate = collectionRate(d.from, d.paid, today);
  return out;
}
