import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sqlArray, isUuid } from '@trellis/platform';
import { AGE_BANDS, AGE_BAND_SQL, ageBandOf, ageOn, type AgeBand } from './age.ts';
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
 * Those months are counted exactly from the members (index on birth date); every other month's
 * band follows from the month alone.
 */
export function ambiguousBirthMonths(today: string): string[] {
  const year = Number(today.slice(0, 4));
  return AGE_BANDS.slice(1).map((b) => `${String(year - b.min).padStart(4, '0')}-${today.slice(5, 7)}`);
}

/**
 * Statistics for many units in one statement, from the maintained summaries (member_rollup,
 * member_reported_in) rather than the members. A unit outside the caller's scope that contains
 * the scope unit answers for the part the caller can see (the scope unit's subtree), as a scan
 * of visible members would; any other unit answers zeros.
 */
export async function loadStatistics(em: SqlEntityManager, unitIds: readonly string[], today: string): Promise<Map<string, SubtreeStatistics>> {
  const ambiguous = ambiguousBirthMonths(today);
  const rows = await em.execute<RollupRow[]>(
    `with t as (select ?::date as today),
          scope as (select s.unit_id, s.path from members.unit_path s where s.unit_id = nullif(platform.scope_label(), '')::uuid),
          roots as materialized (
            select r.unit_id as root_id, e.unit_id as eff, e.path
              from unnest(?::uuid[]) as r(unit_id)
              join members.unit_path up on up.unit_id = r.unit_id
              left join scope on true
              join members.unit_path e on e.unit_id = case when platform.in_scope(up.path) then up.unit_id
                                                          when scope.path <@ up.path then scope.unit_id end)
     select roots.root_id::text, mr.dim, mr.key, mr.count
       from roots join members.member_rollup mr on mr.tenant_id = platform.current_tenant() and mr.ancestor_id = roots.eff
      where mr.count <> 0 and not (mr.dim = 'birthMonth' and mr.key = any(?::text[]))
     union all
     select roots.root_id::text, 'ageBand', ${AGE_BAND_SQL}, count(*)::int
       from roots cross join t
       join unnest(?::date[]) as mo(start) on true
       join members.member m on m.tenant_id = platform.current_tenant() and m.birth_date >= mo.start and m.birth_date < (mo.start + interval '1 month')::date
                             and m.org_path <@ roots.path and m.stage in ('PROBATIONARY', 'FULL') and m.membership_status = 'ACTIVE'
      group by 1, 3
     union all
     select roots.root_id::text, 'reportedIn', '', sum(ri.count)::int
       from roots join members.unit_path u on u.path <@ roots.path
       join members.member_reported_in ri on ri.tenant_id = platform.current_tenant() and ri.community_id = u.unit_id
      group by 1`,
    [today, sqlArray(unitIds.filter(isUuid)), sqlArray(ambiguous), sqlArray(ambiguous.map((m) => `${m}-01`))],
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
      case 'birthMonth': add(s.ageBands, ageBandOf(ageOn(`${r.key}-01`, today)), r.count); break;
      case 'ageBand': add(s.ageBands, r.key as AgeBand, r.count); break;
      case 'reportedIn': s.inServiceReportedIn = r.count; break;
      case 'duesFrom': add(d.from, r.key, r.count); break;
      case 'duesPaid': add(d.paid, r.key, r.count); break;
    }
  }
  for (const [id, d] of dues) out.get(id)!.duesCollectionRate = collectionRate(d.from, d.paid, today);
  return out;
}
