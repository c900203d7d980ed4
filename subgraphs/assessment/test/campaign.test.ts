import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { DISTRICT, OTHER_STREET, STREET, TEMPLATE_INPUT, communities, createTemplate, decide, finalise, openCampaign, selfAssess, streetReview } from './helpers.ts';

let now = new Date('2026-11-02T02:00:00Z');
const DAY = 86_400_000;
let t: TestStack;
let city: string, district: string, street: string, otherStreet: string;
let campaignId: string;
let ours: { id: string; key: string }[];
const targetOf = new Map<string, string>();
const communityToken = (key: string) => t.token('huangshi', 'COMMUNITY_ADMIN', { scope: key });

beforeAll(async () => {
  t = await startTestStack({ clock: () => now });
  city = await t.token('huangshi', 'CITY_ADMIN');
  district = await t.token('huangshi', 'DISTRICT_ADMIN', { scope: DISTRICT });
  street = await t.token('huangshi', 'STREET_ADMIN', { scope: STREET });
  otherStreet = await t.token('huangshi', 'STREET_ADMIN', { scope: OTHER_STREET });
});
afterAll(() => t.close());

describe('templates', () => {
  it('refuses weights that do not add up to 100 and a metric the supergraph cannot supply, naming it', async () => {
    const bad = structuredClone(TEMPLATE_INPUT);
    bad.dimensions[0]!.indicators[0]!.weight = 40;
    const r1 = await createTemplate(t, city, bad);
    expect(codes(r1)).toEqual(['BAD_USER_INPUT']);
    expect(r1.errors![0]!.message).toMatch(/add up to 90/);
    const study = structuredClone(TEMPLATE_INPUT);
    (study.dimensions[1]!.indicators[0] as { metric: string }).metric = 'STUDY_HOURS';
    const r2 = await createTemplate(t, city, study);
    expect(codes(r2)).toEqual(['BAD_USER_INPUT']);
    expect(r2.errors![0]!.message).toContain('STUDY_HOURS');
  });

  it('versions a template by key', async () => {
    const v1 = await createTemplate(t, city);
    expect(v1.errors).toBeUndefined();
    const v2 = await createTemplate(t, city);
    expect([v1.data!.createAssessmentTemplate.version, v2.data!.createAssessmentTemplate.version]).toEqual([1, 2]);
    const cannot = await createTemplate(t, street);
    expect(codes(cannot)).toEqual(['FORBIDDEN']);
  });
});

describe('a campaign from opening to final', () => {
  it('a district opens a campaign for every community under it', async () => {
    const tpl = await createTemplate(t, city);
    ours = await communities(t, 'huangshi', DISTRICT);
    expect(ours.length).toBeGreaterThan(20);
    const r = await openCampaign(t, district, {
      templateId: tpl.data!.createAssessmentTemplate.id, name: '2026年度社区党组织星级评定', organisationId: t.unit('huangshi', DISTRICT),
      targetUnitIds: ours.map((c) => c.id), selfAssessmentDue: '2026-11-20T00:00:00Z', streetReviewDue: '2026-11-30T00:00:00Z', districtReviewDue: '2026-12-10T00:00:00Z', noticeDays: 5,
    });
    expect(r.errors).toBeUndefined();
    campaignId = r.data!.openAssessmentCampaign.id;
    for (const x of r.data!.openAssessmentCampaign.targets) targetOf.set(x.unit.id, x.id);
    expect(targetOf.size).toBe(ours.length);
  });

  it('self-assessment freezes the computed figure read through the gateway; only the right tier may act', async () => {
    const c = ours.find((x) => x.key === `${STREET}/青山湖社区党委`)!;
    const id = targetOf.get(c.id)!;
    // A street may not self-assess for its community.
    expect(codes(await selfAssess(t, street, id, 48))).toEqual(['FORBIDDEN']);
    const r = await selfAssess(t, await communityToken(c.key), id, 48);
    expect(r.errors).toBeUndefined();
    expect(r.data!.submitSelfAssessment.state).toBe('STREET_REVIEW');
    const figures = await gql<{ orgUnit: { memberStatistics: { total: number } } }>(t.url, city, 'query($id: ID!) { orgUnit(id: $id) { memberStatistics { total } } }', { id: c.id });
    const total = figures.data!.orgUnit.memberStatistics.total;
    const s = await gql<{ assessmentTarget: { scores: { indicatorKey: string; points: number; source: { metric: string; figure: number } | null }[]; evidence: { title: string }[] } }>(t.url, city,
      'query($id: ID!) { assessmentTarget(id: $id) { scores(tier: SELF) { indicatorKey points source { metric figure } } evidence { title } } }', { id });
    const size = s.data!.assessmentTarget.scores.find((x) => x.indicatorKey === 'size')!;
    expect(size.source).toEqual({ metric: 'MEMBERS_TOTAL', figure: total });
    expect(size.points).toBe(Math.min(total, 5));
    expect(s.data!.assessmentTarget.evidence).toEqual([{ title: '年度工作台账' }]);
    // Another street cannot see the target at all: NOT_FOUND, exactly as for an id that does not exist.
    const elsewhere = await streetReview(t, otherStreet, id);
    expect(codes(elsewhere)).toEqual(['NOT_FOUND']);
    const missing = await streetReview(t, otherStreet, '00000000-0000-4000-8000-000000000000');
    expect(elsewhere.errors![0]!.message.replace(id, 'X')).toBe(missing.errors![0]!.message.replace('00000000-0000-4000-8000-000000000000', 'X'));
    // The community itself and the district see it but are the wrong tier.
    expect(codes(await streetReview(t, await communityToken(c.key), id))).toEqual(['FORBIDDEN']);
    expect(codes(await streetReview(t, district, id))).toEqual(['FORBIDDEN']);
    // The district cannot decide before the street has reviewed.
    expect(codes(await decide(t, district, id))).toEqual(['CONFLICT']);
  });

  it('a street adjusts a score only with a reason; the district sends it back with comments', async () => {
    const c = ours.find((x) => x.key === `${STREET}/青山湖社区党委`)!;
    const id = targetOf.get(c.id)!;
    const noReason = await streetReview(t, street, id, [{ indicatorKey: 'basics', points: 46 }]);
    expect(codes(noReason)).toEqual(['BAD_USER_INPUT']);
    expect(noReason.errors![0]!.message).toMatch(/reason/);
    const ok = await streetReview(t, street, id, [{ indicatorKey: 'basics', points: 46, reason: '台账不全' }]);
    expect(ok.data!.submitStreetReview.state).toBe('DISTRICT_REVIEW');
    const back = await gql<{ sendBackAssessment: { state: string; history: { action: string; comment: string | null }[] } }>(t.url, district,
      'mutation($id: ID!) { sendBackAssessment(targetId: $id, comment: "请补充走访记录") { state history { action comment } } }', { id });
    expect(back.data!.sendBackAssessment.state).toBe('STREET_REVIEW');
    expect(back.data!.sendBackAssessment.history.at(-1)).toEqual({ action: 'SEND_BACK', comment: '请补充走访记录' });
    expect((await streetReview(t, street, id, [{ indicatorKey: 'basics', points: 46, reason: '已补充走访记录' }])).data!.submitStreetReview.state).toBe('DISTRICT_REVIEW');
  });

  it('the district decides; a veto item caps the grade; five stars are refused over the 10 % quota', async () => {
    const streetCommunities = ours.filter((x) => x.key.startsWith(`${STREET}/`));
    const first = streetCommunities.find((x) => x.key.endsWith('青山湖社区党委'))!;
    const d1 = await decide(t, district, targetOf.get(first.id)!);
    expect(d1.errors).toBeUndefined();
    const score = d1.data!.decideAssessment.proposedScore!;
    expect(score).toBeGreaterThanOrEqual(90);
    expect(d1.data!.decideAssessment.proposedGrade).toBe('FIVE_STAR');
    expect(d1.data!.decideAssessment.state).toBe('NOTICE');
    // Run more communities to a decision; a quota of 10 % of the district's targets, rounded down.
    const limit = Math.floor(ours.length * 0.1);
    const others = ours.filter((x) => x.id !== first.id).slice(0, limit + 1);
    const results: string[] = [];
    for (const [i, c] of others.entries()) {
      const id = targetOf.get(c.id)!;
      const veto = i === 0;
      expect((await selfAssess(t, await communityToken(c.key), id, 49, veto)).errors).toBeUndefined();
      const streetKey = c.key.split('/').slice(0, 3).join('/');
      const st = await t.token('huangshi', 'STREET_ADMIN', { scope: streetKey });
      expect((await streetReview(t, st, id)).errors).toBeUndefined();
      const d = await decide(t, district, id);
      if (veto) {
        expect(d.data!.decideAssessment.vetoed).toBe(true);
        expect(d.data!.decideAssessment.proposedScore).toBeGreaterThanOrEqual(90);
        expect(d.data!.decideAssessment.proposedGrade).toBe('ONE_STAR');
        continue;
      }
      results.push(d.errors ? `${d.errors[0]!.extensions!.code}: ${d.errors[0]!.message}` : d.data!.decideAssessment.proposedGrade!);
    }
    expect(results.slice(0, limit - 1)).toEqual(Array(limit - 1).fill('FIVE_STAR'));
    expect(results[limit - 1]).toMatch(/^CONFLICT: The quota for 五星 .*at most 10 %/);
    // The over-quota target stays in district review; lowering a score with a reason decides four stars.
    const over = others[limit]!;
    const d = await decide(t, district, targetOf.get(over.id)!, [{ indicatorKey: 'basics', points: 35, reason: '名额所限，按区委集体决定' }]);
    expect(d.data!.decideAssessment.proposedGrade).toBe('FOUR_STAR');
  });

  it('objections during the notice must be answered; the result becomes final after the notice and is published', async () => {
    const c = ours.find((x) => x.key === `${STREET}/青山湖社区党委`)!;
    const id = targetOf.get(c.id)!;
    const o = await gql<{ lodgeObjection: { id: string } }>(t.url, street, 'mutation($id: ID!) { lodgeObjection(targetId: $id, text: "走访记录与实际不符") { id } }', { id });
    expect(o.errors).toBeUndefined();
    expect(codes(await finalise(t, district, id))).toEqual(['CONFLICT']); // notice still running
    now = new Date(now.getTime() + 6 * DAY);
    expect(codes(await gql(t.url, street, 'mutation($id: ID!) { lodgeObjection(targetId: $id, text: "迟到的异议") { id } }', { id }))).toEqual(['CONFLICT']);
    const unanswered = await finalise(t, district, id);
    expect(unanswered.errors![0]!.message).toMatch(/unanswered/);
    expect(codes(await gql(t.url, street, 'mutation($o: ID!) { answerObjection(objectionId: $o, answer: "已核实") { id } }', { o: o.data!.lodgeObjection.id }))).toEqual(['FORBIDDEN']);
    const answered = await gql<{ answerObjection: { answer: string } }>(t.url, district, 'mutation($o: ID!) { answerObjection(objectionId: $o, answer: "经核实，记录属实") { answer } }', { o: o.data!.lodgeObjection.id });
    expect(answered.data!.answerObjection.answer).toBe('经核实，记录属实');
    const f = await finalise(t, district, id);
    expect(f.errors).toBeUndefined();
    expect(f.data!.finaliseAssessment.state).toBe('FINAL');
    expect(f.data!.finaliseAssessment.result).toMatchObject({ grade: 'FIVE_STAR', payCoefficient: 1.2, rankInStreet: 1 });
    const { rows } = await t.db.query<{ payload: Record<string, unknown> }>(`select payload from events.stream where topic = 'assessment' and type = 'assessment.result.finalised'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload).toMatchObject({ campaignId, targetUnitId: c.id, grade: 'FIVE_STAR', stars: 5, payCoefficient: 1.2 });
    // Final is final: no send-back, no update of the row, only a recorded amendment.
    expect(codes(await gql(t.url, district, 'mutation($id: ID!) { sendBackAssessment(targetId: $id, comment: "重评") { id } }', { id }))).toEqual(['CONFLICT']);
    await expect(t.db.query('update assessment.result set score = 10 where target_id = $1', [id])).rejects.toThrow(/never changes/);
    const amend = await gql<{ amendAssessmentResult: { score: number; grade: string; amendments: { reason: string }[] } }>(t.url, district,
      'mutation($id: ID!) { amendAssessmentResult(targetId: $id, score: 85, reason: "复核发现计分错误") { score grade amendments { reason } } }', { id });
    expect(amend.data!.amendAssessmentResult).toEqual({ score: 85, grade: 'FOUR_STAR', amendments: [{ reason: '复核发现计分错误' }] });
  });

  it('the vetoed unit gets a rectification task; a payroll integrator reads ranked results with its own scope', async () => {
    const vetoed = ours.filter((x) => x.key !== `${STREET}/青山湖社区党委`)[0]!;
    const f = await finalise(t, district, targetOf.get(vetoed.id)!);
    expect(f.errors).toBeUndefined();
    expect(f.data!.finaliseAssessment.result.grade).toBe('ONE_STAR');
    expect(f.data!.finaliseAssessment.result.rectification).toMatchObject({ status: 'OPEN', dueOn: '2027-02-06' });
    const payroll = await t.token('huangshi', 'INTEGRATOR', { scopes: ['assessment:results'] });
    const r = await gql<{ assessmentResults: { unit: { id: string }; grade: string; payCoefficient: number; rankInDistrict: number }[] }>(t.url, payroll,
      'query($c: ID!) { assessmentResults(campaignId: $c) { unit { id } grade payCoefficient rankInDistrict } }', { c: campaignId });
    expect(r.errors).toBeUndefined();
    expect(r.data!.assessmentResults.map((x) => [x.grade, x.payCoefficient, x.rankInDistrict])).toEqual([['FOUR_STAR', 1.1, 1], ['ONE_STAR', 0.8, 2]]);
    const nobody = await t.token('huangshi', 'INTEGRATOR', { scopes: [] });
    expect(codes(await gql(t.url, nobody, 'query($c: ID!) { assessmentResults(campaignId: $c) { grade } }', { c: campaignId }))).toEqual(['FORBIDDEN']);
  });

  it('OrgUnit shows the latest result and the campaign progress per tier with the grade distribution for a subtree', async () => {
    const c = ours.find((x) => x.key === `${STREET}/青山湖社区党委`)!;
    const r = await gql<{ d: { assessmentProgress: { targets: number; byState: { state: string; count: number; overdue: number }[]; gradeDistribution: { grade: string; count: number }[] } }; u: { latestAssessmentResult: { grade: string } } }>(t.url, city,
      `query($d: ID!, $u: ID!) { d: orgUnit(id: $d) { assessmentProgress { targets byState { state count overdue } gradeDistribution { grade count } } }
         u: orgUnit(id: $u) { latestAssessmentResult { grade } } }`, { d: t.unit('huangshi', DISTRICT), u: c.id });
    expect(r.errors).toBeUndefined();
    const p = r.data!.d.assessmentProgress;
    expect(p.targets).toBe(ours.length);
    const count = (s: string) => p.byState.find((x) => x.state === s)!.count;
    const limit = Math.floor(ours.length * 0.1);
    expect(count('FINAL')).toBe(2);
    expect(count('NOTICE')).toBe(limit);
    expect(count('SELF_ASSESSMENT')).toBe(ours.length - limit - 2);
    expect(p.gradeDistribution).toEqual([{ grade: 'FOUR_STAR', count: 1 }, { grade: 'ONE_STAR', count: 1 }]);
    expect(r.data!.u.latestAssessmentResult.grade).toBe('FOUR_STAR');
  });
});
