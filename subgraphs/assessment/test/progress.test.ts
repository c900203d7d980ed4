import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { DISTRICT, OTHER_STREET, STREET, communities, createTemplate, decide, finalise, openCampaign, selfAssess, streetReview } from './helpers.ts';

let now = new Date('2026-11-02T02:00:00Z');
const DAY = 86_400_000;
let t: TestStack;
let city: string, district: string;
let campaignId: string;
let ours: { id: string; key: string }[];
const targetOf = new Map<string, string>();
const streetOf = (key: string) => key.split('/').slice(0, 3).join('/');

type View = { targets: number; byState: { state: string; count: number; overdue: number }[]; gradeDistribution: { grade: string; count: number }[] };
const STATES = ['SELF_ASSESSMENT', 'STREET_REVIEW', 'DISTRICT_REVIEW', 'NOTICE', 'FINAL'];

/** What progress must say, counted straight from the targets, results and amendments (not from the summary). */
async function direct(rootId: string): Promise<View> {
  const { rows } = await t.db.query<{ state: string; grade: string | null; n: number; overdue: number }>(
    `select t.state, coalesce(a.grade, r.grade) as grade, count(*)::int as n,
            count(*) filter (where (case t.state when 'SELF_ASSESSMENT' then c.self_assessment_due when 'STREET_REVIEW' then c.street_review_due
                                     when 'DISTRICT_REVIEW' then c.district_review_due end) < $3)::int as overdue
       from assessment.target t join assessment.campaign c on c.id = t.campaign_id
       left join assessment.result r on r.target_id = t.id
       left join lateral (select am.grade from assessment.amendment am where am.target_id = t.id order by am.amended_at desc limit 1) a on true
      where t.campaign_id = $1 and t.path <@ (select path from assessment.unit_path where unit_id = $2) group by 1, 2`, [campaignId, rootId, now.toISOString()]);
  const grades = new Map<string, number>();
  for (const r of rows) if (r.grade) grades.set(r.grade, (grades.get(r.grade) ?? 0) + r.n);
  return {
    targets: rows.reduce((s, r) => s + r.n, 0),
    byState: STATES.map((state) => ({ state, count: rows.filter((r) => r.state === state).reduce((s, r) => s + r.n, 0), overdue: rows.filter((r) => r.state === state).reduce((s, r) => s + r.overdue, 0) })),
    gradeDistribution: [...grades].map(([grade, count]) => ({ grade, count })).sort((x, y) => x.grade.localeCompare(y.grade)),
  };
}

async function progress(token: string, unitId: string): Promise<View> {
  const r = await gql<{ orgUnit: { assessmentProgress: View } }>(t.url, token,
    'query($u: ID!, $c: ID!) { orgUnit(id: $u) { assessmentProgress(campaignId: $c) { targets byState { state count overdue } gradeDistribution { grade count } } } }', { u: unitId, c: campaignId });
  expect(r.errors).toBeUndefined();
  return r.data!.orgUnit.assessmentProgress;
}

/** The summary rows against a direct count of the targets: no difference in any key. */
async function summaryDrift(): Promise<unknown[]> {
  const { rows } = await t.db.query(
    `with d as (select tenant_id, campaign_id, street_id, state, coalesce(final_grade, '') as grade, count(*)::int as n from assessment.target group by 1, 2, 3, 4, 5),
          s as (select tenant_id, campaign_id, street_id, state, grade, count as n from assessment.progress_summary where count <> 0)
     select * from d full join s using (tenant_id, campaign_id, street_id, state, grade) where d.n is distinct from s.n`);
  return rows;
}

beforeAll(async () => {
  t = await startTestStack({ clock: () => now });
  city = await t.token('huangshi', 'CITY_ADMIN');
  district = await t.token('huangshi', 'DISTRICT_ADMIN', { scope: DISTRICT });
  const tpl = await createTemplate(t, city);
  ours = await communities(t, 'huangshi', DISTRICT);
  const r = await openCampaign(t, district, {
    templateId: tpl.data!.createAssessmentTemplate.id, name: '2026年度社区党组织星级评定', organisationId: t.unit('huangshi', DISTRICT),
    targetUnitIds: ours.map((c) => c.id), selfAssessmentDue: '2026-11-20T00:00:00Z', streetReviewDue: '2026-11-30T00:00:00Z', districtReviewDue: '2026-12-10T00:00:00Z',
  });
  campaignId = r.data!.openAssessmentCampaign.id;
  for (const x of r.data!.openAssessmentCampaign.targets) targetOf.set(x.unit.id, x.id);
});
afterAll(() => t.close());

describe('campaign progress from the per-street summary', () => {
  it('matches a direct count over every subtree after transitions, send-backs, finals and amendments', async () => {
    // Eight communities move through the tiers to different points; one is sent back; two become final, one is amended.
    const moving = ours.slice(0, 8);
    for (const [i, c] of moving.entries()) {
      const id = targetOf.get(c.id)!;
      expect((await selfAssess(t, await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: c.key }), id, 30 + i * 2, i === 5)).errors).toBeUndefined();
      if (i >= 6) continue;
      const st = await t.token('huangshi', 'STREET_ADMIN', { scope: streetOf(c.key) });
      expect((await streetReview(t, st, id)).errors).toBeUndefined();
      if (i === 0) {
        const back = await gql(t.url, st, 'mutation($id: ID!) { sendBackAssessment(targetId: $id, comment: "补充材料") { id } }', { id });
        expect(back.errors).toBeDefined(); // the street is past its tier: only the district may send back now
        expect((await gql(t.url, district, 'mutation($id: ID!) { sendBackAssessment(targetId: $id, comment: "补充材料") { id } }', { id })).errors).toBeUndefined();
        continue;
      }
      if (i >= 4) continue;
      expect((await decide(t, district, id)).errors).toBeUndefined();
    }
    now = new Date(now.getTime() + 6 * DAY);
    for (const c of moving.slice(1, 3)) expect((await finalise(t, district, targetOf.get(c.id)!)).errors).toBeUndefined();
    const amend = await gql(t.url, district, 'mutation($id: ID!) { amendAssessmentResult(targetId: $id, score: 55, reason: "复核发现台账缺失") { grade } }', { id: targetOf.get(moving[1]!.id) });
    expect(amend.errors).toBeUndefined();
    // Past the self-assessment deadline: the communities that never submitted are overdue.
    now = new Date('2026-11-21T00:00:00Z');

    expect(await summaryDrift()).toEqual([]);
    const roots = [t.unit('huangshi', '中共黄石市委'), t.unit('huangshi', DISTRICT), t.unit('huangshi', STREET), t.unit('huangshi', OTHER_STREET), moving[1]!.id, moving[6]!.id];
    for (const root of roots) expect(await progress(city, root)).toEqual(await direct(root));
    const district0 = await progress(city, t.unit('huangshi', DISTRICT));
    expect(district0.targets).toBe(ours.length);
    expect(district0.byState.find((s) => s.state === 'SELF_ASSESSMENT')).toEqual({ state: 'SELF_ASSESSMENT', count: ours.length - 8, overdue: ours.length - 8 });
    expect(district0.gradeDistribution.reduce((n, g) => n + g.count, 0)).toBe(2);
  });

  it('a street and a community read their own subtrees, counted the same way', async () => {
    const street = await t.token('huangshi', 'STREET_ADMIN', { scope: STREET });
    expect(await progress(street, t.unit('huangshi', STREET))).toEqual(await direct(t.unit('huangshi', STREET)));
    const c = ours[1]!; // final, amended
    const own = await progress(await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: c.key }), c.id);
    expect(own.targets).toBe(1);
    expect(own).toEqual(await direct(c.id));
    expect(own.gradeDistribution).toEqual([{ grade: 'ONE_STAR', count: 1 }]); // the amendment's grade, not the decided one
  });
});
