import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { NOW, createMember, idCard } from './helpers.ts';

let t: TestStack;
let city: string;
let employer: string;
let community: string;
const EMPLOYER = '中共黄石市委/黄石港区/红旗桥街道';
const COMMUNITY = '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委';
const GRID = `${COMMUNITY}/第一网格党支部`;
const REPORT = 'id status memberName member { id } community { id } employerUnit { id } grid { id } gridPost reportedOn assignedOn servingSince endedOn history { from to recordedBy }';

const run = <T>(token: string, q: string, v: Record<string, unknown> = {}) => gql<T>(t.url, token, q, v);
async function inServiceMember(name: string, n: number, categories = ['IN_SERVICE']) {
  const r = await createMember(t.url, city, { orgUnitId: t.unit('huangshi', `${EMPLOYER}/林红社区党支部`), name, idCardNumber: idCard('1988-08-08', n), education: 'BACHELOR',
    stage: 'FULL', stageSince: '2016-05-01', joinedOn: '2015-05-01', categories });
  expect(r.errors).toBeUndefined();
  return r.data!.createMember.id;
}
const report = (token: string, memberId: string, communityId = t.unit('huangshi', COMMUNITY), on = '2026-04-01') =>
  run<{ reportInService: Record<string, unknown> & { id: string } }>(token, `mutation($i: ReportInServiceInput!) { reportInService(input: $i) { ${REPORT} } }`, { i: { memberId, communityId, on } });
const assign = (token: string, id: string, gridId = t.unit('huangshi', GRID)) =>
  run<{ assignGridPost: Record<string, unknown> }>(token, `mutation($id: ID!, $g: ID!) { assignGridPost(reportId: $id, input: { gridId: $g, post: "楼栋联络员", on: "2026-04-10" }) { ${REPORT} } }`, { id, g: gridId });
const record = (token: string, id: string, kind: string, on: string, rating: number | null = 5) =>
  run<{ recordActivity: { id: string; kind: string } }>(token, 'mutation($id: ID!, $i: RecordActivityInput!) { recordActivity(reportId: $id, input: $i) { id kind happenedOn hours residentRating } }',
    { id, i: { kind, on, hours: 2, content: kind === 'CONTACT' ? '走访独居老人' : '社区环境整治', residentRating: rating } });
const community$ = (token: string, memberId: string) => run<{ member: { reportedInCommunity: { id: string } | null } }>(token, 'query($id: ID!) { member(id: $id) { reportedInCommunity { id } } }', { id: memberId });

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
  employer = await t.token('huangshi', 'STREET_ADMIN', { scope: EMPLOYER, sub: 'employer-street' });
  community = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: COMMUNITY, sub: 'qingshanhu-secretary' });
});
afterAll(() => t.close());

describe('in-service members reporting in (双报到)', () => {
  let memberId: string;
  let reportId: string;

  it('the employer side reports the member in; the member record names the community; the community sees the report but not the member', async () => {
    memberId = await inServiceMember('在职党员甲', 401);
    const r = await report(employer, memberId);
    expect(r.errors).toBeUndefined();
    reportId = r.data!.reportInService.id;
    expect(r.data!.reportInService).toMatchObject({ status: 'REPORTED', memberName: '在职党员甲', community: { id: t.unit('huangshi', COMMUNITY) }, employerUnit: { id: t.unit('huangshi', `${EMPLOYER}/林红社区党支部`) } });
    expect((await community$(employer, memberId)).data!.member.reportedInCommunity).toEqual({ id: t.unit('huangshi', COMMUNITY) });
    const list = await run<{ inServiceReports: { id: string; memberName: string; member: null }[] }>(community, 'query($c: ID!) { inServiceReports(communityId: $c) { id memberName member { id } } }', { c: t.unit('huangshi', COMMUNITY) });
    expect(list.data!.inServiceReports).toContainEqual({ id: reportId, memberName: '在职党员甲', member: null });
  });

  it('refuses what the process does not allow: a second report, a non-in-service member, a unit that is not a community, service before assignment', async () => {
    expect(codes(await report(employer, memberId))).toEqual(['CONFLICT']);
    const retired = await inServiceMember('退休党员', 403, ['RETIRED']);
    expect(codes(await report(employer, retired))).toEqual(['BAD_USER_INPUT']);
    const other = await inServiceMember('在职党员乙', 405);
    expect(codes(await report(employer, other, t.unit('huangshi', '中共黄石市委/黄石港区/黄石港街道')))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await report(employer, other, t.unit('huangshi', COMMUNITY), '2026-07-01'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(community, reportId, 'CONTACT', '2026-04-05'))).toEqual(['CONFLICT']);
  });

  it('the community assigns a grid post inside itself; the employer side cannot', async () => {
    expect(codes(await assign(employer, reportId))).toEqual(['FORBIDDEN']);
    expect(codes(await assign(community, reportId, t.unit('huangshi', '中共黄石市委/黄石港区/黄石港街道/南岳社区党总支')))).toEqual(['BAD_USER_INPUT']);
    const a = await assign(community, reportId);
    expect(a.data!.assignGridPost).toMatchObject({ status: 'ASSIGNED', grid: { id: t.unit('huangshi', GRID) }, gridPost: '楼栋联络员', assignedOn: '2026-04-10' });
    expect(codes(await assign(community, reportId))).toEqual(['CONFLICT']);
  });

  it('the first recorded service makes the member SERVING; each transition is audited', async () => {
    expect((await record(community, reportId, 'CONTACT', '2026-04-20')).errors).toBeUndefined();
    expect(codes(await record(community, reportId, 'CONTACT', '2026-04-01'))).toEqual(['BAD_USER_INPUT']);
    const r = await run<{ inServiceReport: { status: string; servingSince: string; history: unknown[] } }>(employer, `query($id: ID!) { inServiceReport(id: $id) { ${REPORT} } }`, { id: reportId });
    expect(r.data!.inServiceReport).toMatchObject({ status: 'SERVING', servingSince: '2026-04-20' });
    expect(r.data!.inServiceReport.history).toEqual([
      { from: null, to: 'REPORTED', recordedBy: 'employer-street' },
      { from: 'REPORTED', to: 'ASSIGNED', recordedBy: 'qingshanhu-secretary' },
      { from: 'ASSIGNED', to: 'SERVING', recordedBy: 'qingshanhu-secretary' },
    ]);
  });

  it('quarterly feedback to the employer counts the quarter against the minimum, once per quarter, never ahead', async () => {
    const feedback = (q: number) => run<{ sendQuarterlyFeedback: Record<string, unknown> }>(community, 'mutation($id: ID!, $q: Int!) { sendQuarterlyFeedback(reportId: $id, year: 2026, quarter: $q, comment: "表现良好") { year quarter contacts activities hours averageRating meetsMinimum } }', { id: reportId, q });
    const q2 = await feedback(2);
    expect(q2.data!.sendQuarterlyFeedback).toEqual({ year: 2026, quarter: 2, contacts: 1, activities: 0, hours: 2, averageRating: 5, meetsMinimum: false });
    expect(codes(await feedback(2))).toEqual(['CONFLICT']);
    expect(codes(await feedback(3))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await run(employer, 'mutation($id: ID!) { sendQuarterlyFeedback(reportId: $id, year: 2026, quarter: 2) { year } }', { id: reportId }))).toEqual(['FORBIDDEN']);
  });

  it('the annual evaluation needs the minimum activities for QUALIFIED or better', async () => {
    const evaluate = (grade: string) => run<{ evaluateInService: { grade: string; activities: number } }>(community, 'mutation($id: ID!, $g: InServiceGrade!) { evaluateInService(reportId: $id, year: 2026, grade: $g) { grade activities contacts } }', { id: reportId, g: grade });
    const low = await evaluate('QUALIFIED');
    expect(codes(low)).toEqual(['BAD_USER_INPUT']);
    expect(low.errors![0]!.message).toMatch(/at least 4 activities/);
    for (const d of ['2026-05-01', '2026-05-10', '2026-05-20', '2026-06-01']) expect((await record(community, reportId, 'ACTIVITY', d)).errors).toBeUndefined();
    expect((await evaluate('QUALIFIED')).data!.evaluateInService).toEqual({ grade: 'QUALIFIED', activities: 4, contacts: 1 });
    expect(codes(await evaluate('EXCELLENT'))).toEqual(['CONFLICT']);
  });

  it('ending the report clears the member’s community, even when the community side ends it', async () => {
    const ended = await run<{ endInService: { status: string; endedOn: string } }>(community, 'mutation($id: ID!) { endInService(reportId: $id, on: "2026-06-10", reason: "搬离社区") { status endedOn } }', { id: reportId });
    expect(ended.data!.endInService).toEqual({ status: 'ENDED', endedOn: '2026-06-10' });
    expect((await community$(employer, memberId)).data!.member.reportedInCommunity).toBeNull();
    expect(codes(await run(community, 'mutation($id: ID!) { endInService(reportId: $id, on: "2026-06-11") { status } }', { id: reportId }))).toEqual(['CONFLICT']);
    expect(codes(await record(community, reportId, 'CONTACT', '2026-06-12'))).toEqual(['CONFLICT']);
    // Reporting again afterwards starts a new report.
    expect((await report(employer, memberId, t.unit('huangshi', COMMUNITY), '2026-06-12')).data!.reportInService.status).toBe('REPORTED');
  });

  it('a member reports themself in; another member cannot report them, and a community outside scope sees nothing', async () => {
    const id = await inServiceMember('自主报到', 407);
    const self = await t.token('huangshi', 'MEMBER', { memberId: id });
    const someoneElse = await t.token('huangshi', 'MEMBER', { memberId: await inServiceMember('旁人', 409) });
    expect(codes(await report(someoneElse, id))).toEqual(['FORBIDDEN']);
    const r = await report(self, id);
    expect(r.errors).toBeUndefined();
    const outsider = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: '中共黄石市委/黄石港区/黄石港街道/南岳社区党总支' });
    expect(codes(await run(outsider, 'query($id: ID!) { inServiceReport(id: $id) { id } }', { id: r.data!.reportInService.id }))).toEqual(['NOT_FOUND']);
  });
});
