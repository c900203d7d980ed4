import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sqlCounter } from '@trellis/platform';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { NOW, createMember, idCard } from './helpers.ts';

let t: TestStack;
let city: string;
let community: string;
let memberId: string;
let reportId: string;
const COMMUNITY = '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委';
const run = <T>(token: string, q: string, v: Record<string, unknown> = {}) => gql<T>(t.url, token, q, v);
const claim = (token: string, category: string, title = '政策宣讲员') =>
  run<{ claimPost: { id: string; category: string; categoryName: string; status: string } }>(token,
    'mutation($id: ID!, $c: String!, $t: String!) { claimPost(reportId: $id, input: { category: $c, title: $t, on: "2026-05-01" }) { id category categoryName title status claimedOn } }',
    { id: reportId, c: category, t: title });
const CARDS = `cards(year: 2026) { year
  basicInformation { name stage joinedOn categories organisation { id } reportedInCommunity { id } gridPost posts { category title } }
  activityRecord { totalHours entries { kind happenedOn hours content residentRating postClaimId } }
  communityPerformance { contacts activities hours averageRating contactsByQuarter minimumContactsPerQuarter minimumActivitiesPerYear meetsActivityMinimum }
  performanceFeedback { quarterly { quarter contacts meetsMinimum } evaluation { grade } } }`;

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
  community = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: COMMUNITY });
  const m = await createMember(t.url, city, { orgUnitId: t.unit('huangshi', '中共黄石市委/黄石港区/红旗桥街道/林红社区党支部'), name: '认岗党员', idCardNumber: idCard('1990-02-02', 501),
    education: 'POSTGRADUATE', stage: 'FULL', stageSince: '2019-03-01', joinedOn: '2018-03-01', categories: ['IN_SERVICE'] });
  memberId = m.data!.createMember.id;
  const r = await run<{ reportInService: { id: string } }>(city, 'mutation($m: ID!, $c: ID!) { reportInService(input: { memberId: $m, communityId: $c, on: "2026-03-01" }) { id } }', { m: memberId, c: t.unit('huangshi', COMMUNITY) });
  reportId = r.data!.reportInService.id;
  const a = await run(community, 'mutation($id: ID!, $g: ID!) { assignGridPost(reportId: $id, input: { gridId: $g, post: "楼栋联络员", on: "2026-03-05" }) { status } }', { id: reportId, g: t.unit('huangshi', `${COMMUNITY}/第一网格党支部`) });
  expect(a.errors).toBeUndefined();
});
afterAll(() => t.close());

describe('post claiming (认领岗位)', () => {
  it('offers the seven default categories', async () => {
    const s = await run<{ memberProcessSettings: { postCategories: { code: string; name: string }[]; maxPostsPerMember: number } }>(community, '{ memberProcessSettings { maxPostsPerMember postCategories { code name } } }');
    expect(s.data!.memberProcessSettings.postCategories).toHaveLength(7);
    expect(s.data!.memberProcessSettings.postCategories[0]).toEqual({ code: 'POLICY_PROMOTION', name: '政策宣传岗' });
    expect(s.data!.memberProcessSettings.maxPostsPerMember).toBe(2);
  });

  it('a member claims one or two posts from the categories, not a third at once, not one category twice, not an unknown one', async () => {
    const self = await t.token('huangshi', 'MEMBER', { memberId });
    const first = await claim(self, 'POLICY_PROMOTION');
    expect(first.data!.claimPost).toMatchObject({ category: 'POLICY_PROMOTION', categoryName: '政策宣传岗', status: 'ACTIVE' });
    expect(codes(await claim(self, 'POLICY_PROMOTION'))).toEqual(['CONFLICT']);
    expect(codes(await claim(self, 'ASTRONAUT'))).toEqual(['BAD_USER_INPUT']);
    expect((await claim(community, 'ENVIRONMENT', '垃圾分类督导员')).errors).toBeUndefined();
    const third = await claim(self, 'MEDIATION', '调解员');
    expect(codes(third)).toEqual(['CONFLICT']);
    expect(third.errors![0]!.message).toMatch(/most allowed at once \(2\)/);
    // Releasing one frees a place.
    const rel = await run<{ releasePost: { status: string; releasedOn: string } }>(self, 'mutation($id: ID!) { releasePost(claimId: $id, on: "2026-06-01") { status releasedOn } }', { id: first.data!.claimPost.id });
    expect(rel.data!.releasePost).toEqual({ status: 'RELEASED', releasedOn: '2026-06-01' });
    expect(codes(await run(self, 'mutation($id: ID!) { releasePost(claimId: $id, on: "2026-06-02") { status } }', { id: first.data!.claimPost.id }))).toEqual(['CONFLICT']);
    expect((await claim(self, 'MEDIATION', '调解员')).errors).toBeUndefined();
  });

  it('a tenant configures its own categories', async () => {
    const conf = await run<{ configureMemberProcesses: { postCategories: { code: string }[] } }>(city,
      'mutation { configureMemberProcesses(input: { postCategories: [{ code: "MEDIATION", name: "矛盾调解岗" }, { code: "ELDER_CARE", name: "助老服务岗" }] }) { postCategories { code } } }');
    expect(conf.data!.configureMemberProcesses.postCategories.map((c) => c.code)).toEqual(['MEDIATION', 'ELDER_CARE']);
    expect(codes(await claim(community, 'POLICY_PROMOTION'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await run(city, 'mutation { configureMemberProcesses(input: { postCategories: [{ code: "bad code", name: "x" }] }) { letterValidMonths } }'))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('the four cards (四卡)', () => {
  it('show basic information, the activity record, community performance and feedback for the year', async () => {
    const posts = await run<{ inServiceReport: { posts: { id: string; category: string }[] } }>(community, 'query($id: ID!) { inServiceReport(id: $id) { posts { id category } } }', { id: reportId });
    const mediation = posts.data!.inServiceReport.posts.find((p) => p.category === 'MEDIATION')!;
    const rec = (kind: string, on: string, rating: number | null, claimId: string | null = null) => run(community,
      'mutation($id: ID!, $i: RecordActivityInput!) { recordActivity(reportId: $id, input: $i) { id } }',
      { id: reportId, i: { kind, on, hours: 1.5, content: '调解邻里纠纷', residentRating: rating, postClaimId: claimId } });
    expect((await rec('CONTACT', '2026-03-20', 4)).errors).toBeUndefined();
    expect((await rec('CONTACT', '2026-04-20', null, mediation.id)).errors).toBeUndefined();
    expect((await rec('ACTIVITY', '2026-05-20', 5, mediation.id)).errors).toBeUndefined();
    await run(community, 'mutation($id: ID!) { sendQuarterlyFeedback(reportId: $id, year: 2026, quarter: 1) { quarter } }', { id: reportId });

    const r = await run<{ member: { cards: Record<string, unknown> } }>(city, `query($id: ID!) { member(id: $id) { ${CARDS} } }`, { id: memberId });
    expect(r.errors).toBeUndefined();
    expect(r.data!.member.cards).toEqual({
      year: 2026,
      basicInformation: { name: '认岗党员', stage: 'FULL', joinedOn: '2018-03-01', categories: ['IN_SERVICE'], organisation: { id: t.unit('huangshi', '中共黄石市委/黄石港区/红旗桥街道/林红社区党支部') },
        reportedInCommunity: { id: t.unit('huangshi', COMMUNITY) }, gridPost: '楼栋联络员', posts: [{ category: 'ENVIRONMENT', title: '垃圾分类督导员' }, { category: 'MEDIATION', title: '调解员' }] },
      activityRecord: { totalHours: 4.5, entries: [
        { kind: 'CONTACT', happenedOn: '2026-03-20', hours: 1.5, content: '调解邻里纠纷', residentRating: 4, postClaimId: null },
        { kind: 'CONTACT', happenedOn: '2026-04-20', hours: 1.5, content: '调解邻里纠纷', residentRating: null, postClaimId: mediation.id },
        { kind: 'ACTIVITY', happenedOn: '2026-05-20', hours: 1.5, content: '调解邻里纠纷', residentRating: 5, postClaimId: mediation.id },
      ] },
      communityPerformance: { contacts: 2, activities: 1, hours: 4.5, averageRating: 4.5, contactsByQuarter: [1, 1, 0, 0], minimumContactsPerQuarter: 2, minimumActivitiesPerYear: 4, meetsActivityMinimum: false },
      performanceFeedback: { quarterly: [{ quarter: 1, contacts: 1, meetsMinimum: false }], evaluation: null },
    });
    // Another year's cards are empty.
    const last = await run<{ member: { cards: { activityRecord: { entries: unknown[] } } } }>(city, 'query($id: ID!) { member(id: $id) { cards(year: 2025) { activityRecord { entries { kind } } } } }', { id: memberId });
    expect(last.data!.member.cards.activityRecord.entries).toEqual([]);
  });

  it('a member reads their own cards but not another member’s', async () => {
    const self = await t.token('huangshi', 'MEMBER', { memberId });
    const own = await run<{ member: { cards: { activityRecord: { totalHours: number } } } }>(self, 'query($id: ID!) { member(id: $id) { cards { activityRecord { totalHours } } } }', { id: memberId });
    expect(own.data!.member.cards.activityRecord.totalHours).toBe(4.5);
    const { rows } = await t.db.query<{ id: string }>('select id::text from members.member where tenant_id = $1 and id <> $2 limit 1', [t.tenants.huangshi!.id, memberId]);
    expect(codes(await run(self, 'query($id: ID!) { member(id: $id) { cards { year } } }', { id: rows[0]!.id }))).toEqual(['FORBIDDEN']);
  });

  it('cards for a page of 100 members cost the same number of SQL statements as for 10', async () => {
    const statements = async (first: number) => {
      // Nothing kept from the previous call (units): the counts compare loads.
      await t.forgetCached('huangshi');
      const before = sqlCounter.total;
      const r = await run<{ orgUnit: { members: { edges: unknown[] } } }>(city, `query($id: ID!, $first: Int!) { orgUnit(id: $id) { members(first: $first) { edges { node { id membershipStatus
        transfers { status } inServiceReports { status posts { title } history { to } } ${CARDS} } } } } }`, { id: t.unit('huangshi', '中共黄石市委/黄石港区'), first });
      expect(r.errors).toBeUndefined();
      expect(r.data!.orgUnit.members.edges).toHaveLength(first);
      return sqlCounter.total - before;
    };
    const ten = await statements(10);
    expect(await statements(100)).toBe(ten);
    expect(ten).toBeLessThan(30);
  });
});
