import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { DISTRICT, OTHER_STREET, STREET } from './helpers.ts';

let now = new Date('2026-12-01T02:00:00Z');
const DAY = 86_400_000;
const BRANCH = `${STREET}/青山湖社区党委`;
let t: TestStack;
let branch: string, street: string, otherStreet: string, district: string;
let members: string[];
let appraisalId: string;
const memberToken = (id: string) => t.token('huangshi', 'MEMBER', { memberId: id, scope: BRANCH, sub: `member-${id}` });

const APPRAISAL = 'id state excellentQuota members { member { id } selfGrade proposedGrade grade peerGrades { grade count } ballot { grade count } followUp { id status dueOn outcome } } history { action from to comment }';
type Appraisal = {
  id: string; state: string; excellentQuota: number;
  members: { member: { id: string }; selfGrade: string | null; proposedGrade: string | null; grade: string | null; peerGrades: { grade: string; count: number }[]; ballot: { grade: string; count: number }[]; followUp: { id: string; status: string; dueOn: string; outcome: string | null } | null }[];
  history: { action: string; from: string | null; to: string; comment: string | null }[];
};
const call = <T>(token: string, field: string, args: string, vars: Record<string, unknown>, selection = APPRAISAL) =>
  gql<Record<string, T>>(t.url, token, `mutation(${args}) { ${field} { ${selection} } }`, vars);
const advance = (token: string) => call<Appraisal>(token, 'advanceDemocraticAppraisal(appraisalId: $id)', '$id: ID!', { id: appraisalId });
const selfAppraise = (token: string, memberId: string, grade = 'QUALIFIED') =>
  call<Appraisal['members'][number]>(token, 'submitSelfAppraisal(appraisalId: $id, memberId: $m, text: "一年来按时参加组织生活，带头参与社区志愿服务。", grade: $g)',
    '$id: ID!, $m: ID!, $g: AppraisalGrade!', { id: appraisalId, m: memberId, g: grade }, 'member { id } selfGrade');
const propose = (grades: { memberId: string; grade: string; reason?: string }[]) =>
  call<Appraisal>(branch, 'proposeAppraisalGrades(appraisalId: $id, grades: $g)', '$id: ID!, $g: [AppraisalProposalInput!]!', { id: appraisalId, g: grades });

beforeAll(async () => {
  t = await startTestStack({ clock: () => now });
  branch = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: BRANCH });
  street = await t.token('huangshi', 'STREET_ADMIN', { scope: STREET });
  otherStreet = await t.token('huangshi', 'STREET_ADMIN', { scope: OTHER_STREET });
  district = await t.token('huangshi', 'DISTRICT_ADMIN', { scope: DISTRICT });
  const { rows } = await t.db.query<{ id: string }>(
    `select m.id::text from members.member m join organisation.org_unit u on u.id = m.org_unit_id
      where m.tenant_id = $1 and u.path <@ (select path from organisation.org_unit where id = $2) order by m.id limit 7`,
    [t.tenants.huangshi!.id, t.unit('huangshi', BRANCH)]);
  members = rows.map((r) => r.id);
});
afterAll(() => t.close());

describe('democratic appraisal of members (民主评议党员)', () => {
  it('the branch opens it for its members; only the branch may, once a year', async () => {
    expect(members).toHaveLength(7);
    const input = { unitId: t.unit('huangshi', BRANCH), year: 2026, memberIds: members };
    const open = (token: string) => call<Appraisal>(token, 'openDemocraticAppraisal(input: $input)', '$input: OpenAppraisalInput!', { input });
    expect(codes(await open(street))).toEqual(['FORBIDDEN']);
    expect(codes(await open(otherStreet))).toEqual(['NOT_FOUND']);
    const r = await open(branch);
    expect(r.errors).toBeUndefined();
    const a = r.data!.openDemocraticAppraisal!;
    appraisalId = a.id;
    expect(a.state).toBe('SELF_APPRAISAL');
    expect(a.excellentQuota).toBe(2); // at most one third of 7, rounded down
    expect(a.members.map((m) => m.member.id)).toEqual(members);
    expect(codes(await open(branch))).toEqual(['CONFLICT']);
  });

  it('members write their own self-appraisal; peer appraisal waits for all of them', async () => {
    const [a, b] = members;
    expect((await selfAppraise(await memberToken(a!), a!, 'EXCELLENT')).data!.submitSelfAppraisal).toEqual({ member: { id: a }, selfGrade: 'EXCELLENT' });
    expect(codes(await selfAppraise(await memberToken(b!), a!))).toEqual(['FORBIDDEN']);
    const early = await advance(branch);
    expect(codes(early)).toEqual(['CONFLICT']);
    expect(early.errors![0]!.message).toMatch(/^6 member\(s\) have not written/);
    // The branch records the rest, written on paper.
    for (const m of members.slice(1)) expect((await selfAppraise(branch, m)).errors).toBeUndefined();
    expect(codes(await advance(street))).toEqual(['FORBIDDEN']);
    expect((await advance(branch)).data!.advanceDemocraticAppraisal!.state).toBe('PEER_APPRAISAL');
    expect(codes(await selfAppraise(await memberToken(a!), a!))).toEqual(['CONFLICT']);
  });

  it('members appraise their peers anonymously, never themselves; grading again replaces', async () => {
    const [a, b, c] = members as [string, string, string];
    const peer = async (rater: string, grades: { memberId: string; grade: string }[]) =>
      call<{ member: { id: string }; peerGrades: { grade: string; count: number }[] }[]>(await memberToken(rater), 'submitPeerAppraisal(appraisalId: $id, grades: $g)',
        '$id: ID!, $g: [PeerGradeInput!]!', { id: appraisalId, g: grades }, 'member { id } peerGrades { grade count }');
    expect(codes(await peer(a, [{ memberId: a, grade: 'EXCELLENT' }]))).toEqual(['BAD_USER_INPUT']);
    expect((await peer(a, [{ memberId: b, grade: 'QUALIFIED' }, { memberId: c, grade: 'QUALIFIED' }])).errors).toBeUndefined();
    expect((await peer(a, [{ memberId: b, grade: 'EXCELLENT' }])).errors).toBeUndefined();
    const r = await peer(c, [{ memberId: b, grade: 'EXCELLENT' }]);
    const counts = r.data!.submitPeerAppraisal![0]!.peerGrades;
    expect(counts.find((x) => x.grade === 'EXCELLENT')!.count).toBe(2);
    // a's earlier grade of c was replaced by the second submission.
    const { rows } = await t.db.query('select 1 from assessment.peer_rating where member_id = $1', [c]);
    expect(rows).toHaveLength(0);
    const outsider = await gql(t.url, await t.token('huangshi', 'MEMBER', { memberId: '00000000-0000-4000-8000-000000000001', scope: BRANCH }),
      'mutation($id: ID!, $m: ID!) { submitPeerAppraisal(appraisalId: $id, grades: [{ memberId: $m, grade: QUALIFIED }]) { grade } }', { id: appraisalId, m: a });
    expect(codes(outsider)).toEqual(['FORBIDDEN']);
  });

  it('the ballot is recorded, the proposal keeps excellent within one third, the tier above sends back and confirms; unqualified members get a follow-up', async () => {
    expect((await advance(branch)).data!.advanceDemocraticAppraisal!.state).toBe('BALLOT');
    const grades = (excellent: number, unqualifiedReason?: string) => members.map((m, i) => ({
      memberId: m,
      grade: i < excellent ? 'EXCELLENT' : i === members.length - 1 ? 'UNQUALIFIED' : 'QUALIFIED',
      ...(i === members.length - 1 && unqualifiedReason ? { reason: unqualifiedReason } : {}),
    }));
    const noBallot = await propose(grades(2, '长期不参加组织生活'));
    expect(codes(noBallot)).toEqual(['CONFLICT']);
    expect(noBallot.errors![0]!.message).toMatch(/ballot first/);
    const ballots = members.map((m, i) => ({ memberId: m, votes: [{ grade: 'EXCELLENT', count: i < 3 ? 20 : 2 }, { grade: 'QUALIFIED', count: i < 3 ? 5 : 23 }] }));
    const recorded = await call<Appraisal>(branch, 'recordAppraisalBallot(appraisalId: $id, ballots: $b)', '$id: ID!, $b: [BallotInput!]!', { id: appraisalId, b: ballots });
    expect(recorded.data!.recordAppraisalBallot!.members[0]!.ballot).toEqual([
      { grade: 'EXCELLENT', count: 20 }, { grade: 'QUALIFIED', count: 5 }, { grade: 'BASICALLY_QUALIFIED', count: 0 }, { grade: 'UNQUALIFIED', count: 0 }]);
    const over = await propose(grades(3, '长期不参加组织生活'));
    expect(codes(over)).toEqual(['CONFLICT']);
    expect(over.errors![0]!.message).toMatch(/quota for 优秀 \(EXCELLENT: at most one third of the 7 members .*i\.e\. 2\)/);
    expect(codes(await propose(grades(2)))).toEqual(['BAD_USER_INPUT']); // unqualified without the reason
    const reported = await propose(grades(2, '长期不参加组织生活'));
    expect(reported.data!.proposeAppraisalGrades!.state).toBe('REPORTED');
    const confirm = (token: string) => call<Appraisal>(token, 'confirmDemocraticAppraisal(appraisalId: $id)', '$id: ID!', { id: appraisalId });
    expect(codes(await confirm(branch))).toEqual(['FORBIDDEN']);
    expect(codes(await confirm(otherStreet))).toEqual(['NOT_FOUND']);
    const back = await call<Appraisal>(street, 'sendBackDemocraticAppraisal(appraisalId: $id, comment: $c)', '$id: ID!, $c: String!', { id: appraisalId, c: '请补充不合格党员的谈话记录' });
    expect(back.data!.sendBackDemocraticAppraisal!.state).toBe('BALLOT');
    expect(back.data!.sendBackDemocraticAppraisal!.history.at(-1)).toEqual({ action: 'SEND_BACK', from: 'REPORTED', to: 'BALLOT', comment: '请补充不合格党员的谈话记录' });
    expect((await propose(grades(2, '长期不参加组织生活，谈话后仍未改正'))).errors).toBeUndefined();
    now = new Date(now.getTime() + 2 * DAY);
    const done = await confirm(street);
    expect(done.errors).toBeUndefined();
    const a = done.data!.confirmDemocraticAppraisal!;
    expect(a.state).toBe('CONFIRMED');
    expect(a.members.map((m) => m.grade)).toEqual(['EXCELLENT', 'EXCELLENT', 'QUALIFIED', 'QUALIFIED', 'QUALIFIED', 'QUALIFIED', 'UNQUALIFIED']);
    expect(a.members.filter((m) => m.followUp).map((m) => m.followUp!.status)).toEqual(['OPEN']);
    expect(a.members.at(-1)!.followUp!.dueOn).toBe('2027-06-01'); // 180 days to rectify
    expect(codes(await confirm(street))).toEqual(['CONFLICT']);
  });

  it('the branch closes the follow-up; the member and the unit show the appraisal', async () => {
    const last = members.at(-1)!;
    const r = await gql<{ member: { appraisals: { year: number; grade: string; followUp: { id: string } }[] } }>(t.url, street,
      'query($m: ID!) { member(id: $m) { appraisals { year grade followUp { id } } } }', { m: last });
    expect(r.errors).toBeUndefined();
    expect(r.data!.member.appraisals).toMatchObject([{ year: 2026, grade: 'UNQUALIFIED' }]);
    const close = (token: string) => gql<{ closeAppraisalFollowUp: { status: string; outcome: string } }>(t.url, token,
      'mutation($id: ID!) { closeAppraisalFollowUp(id: $id, outcome: "经教育限期改正，已按时参加组织生活") { status outcome } }', { id: r.data!.member.appraisals[0]!.followUp.id });
    expect(codes(await close(otherStreet))).toEqual(['NOT_FOUND']);
    expect((await close(branch)).data!.closeAppraisalFollowUp).toEqual({ status: 'DONE', outcome: '经教育限期改正，已按时参加组织生活' });
    expect(codes(await close(branch))).toEqual(['CONFLICT']);
    const u = await gql<{ orgUnit: { democraticAppraisals: { year: number; state: string }[] } }>(t.url, district,
      'query($u: ID!) { orgUnit(id: $u) { democraticAppraisals(year: 2026) { year state } } }', { u: t.unit('huangshi', BRANCH) });
    expect(u.data!.orgUnit.democraticAppraisals).toEqual([{ year: 2026, state: 'CONFIRMED' }]);
  });
});

describe("secretaries' reports on duty (述职评议)", () => {
  let reportId: string;
  const rate = (token: string, rating: string) => gql<{ rateDutyReport: { raters: number; score: number } }>(t.url, token,
    'mutation($id: ID!, $r: DutyRating!) { rateDutyReport(reportId: $id, rating: $r) { raters score } }', { id: reportId, r: rating });

  it('the unit submits its secretary\'s report; reviewers above and members rate it, the secretary and the unit itself do not', async () => {
    const input = { unitId: t.unit('huangshi', BRANCH), secretaryMemberId: members[0], year: 2026, report: '2026年度抓基层党建工作述职报告' };
    const submit = (token: string) => gql<{ submitDutyReport: { id: string; state: string } }>(t.url, token,
      'mutation($input: DutyReportInput!) { submitDutyReport(input: $input) { id state } }', { input });
    expect(codes(await submit(street))).toEqual(['FORBIDDEN']);
    const r = await submit(branch);
    expect(r.data!.submitDutyReport.state).toBe('RATING');
    reportId = r.data!.submitDutyReport.id;
    expect(codes(await submit(branch))).toEqual(['CONFLICT']);
    expect(codes(await rate(await memberToken(members[0]!), 'GOOD'))).toEqual(['FORBIDDEN']);
    expect(codes(await rate(branch, 'GOOD'))).toEqual(['FORBIDDEN']);
    expect(codes(await rate(otherStreet, 'POOR'))).toEqual(['NOT_FOUND']);
    expect((await rate(street, 'GOOD')).errors).toBeUndefined();
    expect((await rate(district, 'POOR')).errors).toBeUndefined();
    const again = await rate(district, 'FAIRLY_GOOD');
    expect(again.data!.rateDutyReport).toEqual({ raters: 2, score: 90 });
    expect((await rate(await memberToken(members[1]!), 'GOOD')).data!.rateDutyReport.raters).toBe(3);
  });

  it('the tier above closes the review with the aggregated grade, shown on the unit and the secretary', async () => {
    const close = (token: string) => gql<{ closeDutyReview: { state: string; score: number; grade: string; closedAt: string; ratings: { rating: string; count: number }[] } }>(t.url, token,
      'mutation($id: ID!) { closeDutyReview(reportId: $id) { state score grade closedAt ratings { rating count } } }', { id: reportId });
    expect(codes(await close(district))).toEqual(['FORBIDDEN']);
    const r = await close(street);
    expect(r.errors).toBeUndefined();
    expect(r.data!.closeDutyReview).toEqual({
      state: 'CLOSED', score: 93.33, grade: 'EXCELLENT', closedAt: now.toISOString(),
      ratings: [{ rating: 'GOOD', count: 2 }, { rating: 'FAIRLY_GOOD', count: 1 }, { rating: 'AVERAGE', count: 0 }, { rating: 'POOR', count: 0 }],
    });
    expect(codes(await rate(street, 'AVERAGE'))).toEqual(['CONFLICT']);
    const seen = await gql<{ orgUnit: { dutyReports: { grade: string; secretary: { id: string } }[] }; member: { dutyReports: { grade: string; year: number }[] } }>(t.url, district,
      'query($u: ID!, $m: ID!) { orgUnit(id: $u) { dutyReports { grade secretary { id } } } member(id: $m) { dutyReports { grade year } } }',
      { u: t.unit('huangshi', BRANCH), m: members[0] });
    expect(seen.errors).toBeUndefined();
    expect(seen.data!.orgUnit.dutyReports).toEqual([{ grade: 'EXCELLENT', secretary: { id: members[0] } }]);
    expect(seen.data!.member.dutyReports).toEqual([{ grade: 'EXCELLENT', year: 2026 }]);
  });
});
