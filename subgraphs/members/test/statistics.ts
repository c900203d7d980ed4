import { expect } from '@jest/globals';
import { gql } from '@trellis/platform/testkit/index.ts';
import type { TestStack } from '@trellis/infra/testing.ts';
import { ageBandOf, ageOn } from '../src/domain/age.ts';

/** MemberStatistics as the tests compare it. */
export interface Stats {
  total: number; probationary: number; full: number; inServiceReportedIn: number; duesCollectionRate: number | null;
  byStage: { stage: string; count: number }[]; byCategory: { category: string; count: number }[];
  byAgeBand: { ageBand: string; count: number }[]; byEducation: { education: string; count: number }[]; byFlag: { flag: string; count: number }[];
}
export const STATS = 'total probationary full inServiceReportedIn duesCollectionRate byStage { stage count } byCategory { category count } byAgeBand { ageBand count } byEducation { education count } byFlag { flag count }';

/** A unit's statistics through the gateway. */
export async function viaApi(t: TestStack, token: string, unitId: string): Promise<Stats> {
  const r = await gql<{ orgUnit: { memberStatistics: Stats } }>(t.url, token, `query($id: ID!) { orgUnit(id: $id) { memberStatistics { ${STATS} } } }`, { id: unitId });
  expect(r.errors).toBeUndefined();
  return r.data!.orgUnit.memberStatistics;
}

/**
 * The same figures straight from the raw rows of the subtree (what the maintained summaries
 * replace): members still in the tenant, their dues accounts and this year's payments.
 */
export async function direct(t: TestStack, unitId: string, today: string): Promise<Stats> {
  const { rows } = await t.db.query<{ dim: string; key: string; count: number }>(
    `with root as (select tenant_id, path from members.unit_path where unit_id = $1),
          sub as (select m.* from members.member m, root where m.tenant_id = root.tenant_id and m.org_path <@ root.path and m.membership_status = 'ACTIVE'),
          party as (select * from sub where stage in ('PROBATIONARY', 'FULL'))
     select 'stage' as dim, stage as key, count(*)::int as count from sub group by stage
     union all select 'category', c, count(*)::int from party, unnest(categories) c group by c
     union all select 'flag', f, count(*)::int from party, unnest(flags) f group by f
     union all select 'education', education, count(*)::int from party group by education
     union all select 'birth', birth_date::text, count(*)::int from party group by birth_date
     union all select 'reported', '', count(*)::int from members.member m join members.unit_path u on u.tenant_id = m.tenant_id and u.unit_id = m.reported_in_community, root
                where m.tenant_id = root.tenant_id and u.path <@ root.path and m.stage in ('PROBATIONARY', 'FULL') and 'IN_SERVICE' = any(m.categories)
                  and m.membership_status = 'ACTIVE'
     union all select 'duesOwed', '', coalesce(sum(greatest(0, (extract(year from $2::date) * 12 + extract(month from $2::date))
                                                   - (extract(year from greatest(a.from_month, date_trunc('year', $2::date))) * 12
                                                      + extract(month from greatest(a.from_month, date_trunc('year', $2::date)))) + 1)), 0)::int
                from members.dues_account a join members.member m on m.id = a.member_id, root
               where a.tenant_id = root.tenant_id and m.org_path <@ root.path and m.membership_status = 'ACTIVE' and a.monthly_amount > 0
     union all select 'duesPaid', '', count(*)::int
                from members.dues_payment p join members.member m on m.id = p.member_id, root
               where p.tenant_id = root.tenant_id and m.org_path <@ root.path and m.membership_status = 'ACTIVE'
                 and p.month >= date_trunc('year', $2::date) and p.month <= $2::date`,
    [unitId, today]);
  const counts = new Map<string, Map<string, number>>();
  const add = (dim: string, key: string, n: number) => {
    const m = counts.get(dim) ?? new Map<string, number>();
    counts.set(dim, m.set(key, (m.get(key) ?? 0) + n));
  };
  for (const r of rows) {
    if (r.dim === 'birth') add('ageBand', ageBandOf(ageOn(r.key, today)), r.count);
    else add(r.dim, r.key, r.count);
  }
  const of = (dim: string, name: string) => [...(counts.get(dim) ?? new Map<string, number>())].filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => ({ [name]: key, count }));
  const one = (dim: string, key = '') => counts.get(dim)?.get(key) ?? 0;
  const owed = one('duesOwed');
  return {
    total: one('stage', 'PROBATIONARY') + one('stage', 'FULL'), probationary: one('stage', 'PROBATIONARY'), full: one('stage', 'FULL'),
    inServiceReportedIn: one('reported'), duesCollectionRate: owed === 0 ? null : Math.min(1, one('duesPaid') / owed),
    byStage: of('stage', 'stage'), byCategory: of('category', 'category'), byAgeBand: of('ageBand', 'ageBand'),
    byEducation: of('education', 'education'), byFlag: of('flag', 'flag'),
  } as Stats;
}

/** The API's statistics equal the direct aggregate (the collection rate up to float rounding). */
export async function expectExact(t: TestStack, token: string, unitIds: string[], today: string): Promise<void> {
  for (const id of unitIds) {
    const [api, raw] = [await viaApi(t, token, id), await direct(t, id, today)];
    expect({ ...api, duesCollectionRate: null }).toEqual({ ...raw, duesCollectionRate: null });
    if (raw.duesCollectionRate === null) expect(api.duesCollectionRate).toBeNull();
    else expect(api.duesCollectionRate).toBeCloseTo(raw.duesCollectionRate, 9);
  }
}
