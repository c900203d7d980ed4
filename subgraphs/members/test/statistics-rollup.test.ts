import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { AGE_BAND_SQL } from '../src/domain/age.ts';
import { NOW, TODAY, createMember, idCard } from './helpers.ts';

let t: TestStack;
let city: string;
const DISTRICT = '中共黄石市委/黄石港区';
const STREET_A = '中共黄石市委/黄石港区/黄石港街道';
const STREET_B = '中共黄石市委/黄石港区/红旗桥街道';
const COMMUNITY = '中共黄石市委/黄石港区/黄石港街道/磁湖社区党总支';

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
});
afterAll(() => t.close());

interface Stats {
  total: number; probationary: number; full: number; inServiceReportedIn: number;
  byStage: { stage: string; count: number }[]; byCategory: { category: string; count: number }[];
  byAgeBand: { ageBand: string; count: number }[]; byEducation: { education: string; count: number }[]; byFlag: { flag: string; count: number }[];
}
const STATS = 'total probationary full inServiceReportedIn byStage { stage count } byCategory { category count } byAgeBand { ageBand count } byEducation { education count } byFlag { flag count }';

async function viaApi(key: string, token = city): Promise<Stats> {
  const r = await gql<{ orgUnit: { memberStatistics: Stats } }>(t.url, token, `query($id: ID!) { orgUnit(id: $id) { memberStatistics { ${STATS} } } }`, { id: t.unit('huangshi', key) });
  expect(r.errors).toBeUndefined();
  return r.data!.orgUnit.memberStatistics;
}

/** The same figures by scanning the members of the subtree directly (what the rollup replaces). */
async function direct(key: string): Promise<Stats> {
  const { rows } = await t.db.query<{ dim: string; key: string; count: number }>(
    `with t as (select $2::date as today),
          root as (select path from members.unit_path where unit_id = $1),
          sub as (select m.* from members.member m, root where m.org_path <@ root.path),
          party as (select * from sub where stage in ('PROBATIONARY', 'FULL'))
     select 'stage' as dim, stage as key, count(*)::int as count from sub group by stage
     union all select 'category', c, count(*)::int from party, unnest(categories) c group by c
     union all select 'flag', f, count(*)::int from party, unnest(flags) f group by f
     union all select 'education', education, count(*)::int from party group by education
     union all select 'ageBand', ${AGE_BAND_SQL}, count(*)::int from party m, t group by 2
     union all select 'reported', '', count(*)::int from members.member m join members.unit_path u on u.unit_id = m.reported_in_community, root
                where u.path <@ root.path and m.stage in ('PROBATIONARY', 'FULL') and 'IN_SERVICE' = any(m.categories)`,
    [t.unit('huangshi', key), TODAY]);
  const of = (dim: string, name: string) => rows.filter((r) => r.dim === dim && r.count > 0).sort((a, b) => a.key.localeCompare(b.key)).map((r) => ({ [name]: r.key, count: r.count }));
  const stage = (s: string) => rows.find((r) => r.dim === 'stage' && r.key === s)?.count ?? 0;
  return {
    total: stage('PROBATIONARY') + stage('FULL'), probationary: stage('PROBATIONARY'), full: stage('FULL'),
    inServiceReportedIn: rows.find((r) => r.dim === 'reported')!.count,
    byStage: of('stage', 'stage'), byCategory: of('category', 'category'), byAgeBand: of('ageBand', 'ageBand'),
    byEducation: of('education', 'education'), byFlag: of('flag', 'flag'),
  } as Stats;
}

async function expectExact(keys = ['中共黄石市委', DISTRICT, STREET_A, STREET_B, COMMUNITY]) {
  for (const key of keys) expect(await viaApi(key)).toEqual(await direct(key));
}

describe('statistics from the maintained rollup', () => {
  it('equal a direct aggregate over the demo members', async () => {
    const s = await viaApi(DISTRICT);
    expect(s.total).toBeGreaterThan(20);
    await expectExact();
  });

  it('stay exact after inserts, including birthdays on both sides of a band boundary this month', async () => {
    // Born in June 1995: 31 on 1 June 2026, still 30 on 20 June; the rollup keeps months, so this month is counted exactly.
    const community = t.unit('huangshi', COMMUNITY);
    const inputs = [
      { birth: '1995-06-01', n: 101, stage: 'FULL', joinedOn: '2018-05-01', stageSince: '2019-06-01' },
      { birth: '1995-06-20', n: 103, stage: 'PROBATIONARY', stageSince: '2026-02-01' },
      { birth: '1965-06-15', n: 105, stage: 'PROBATIONARY', stageSince: '2026-02-01' },
      { birth: '1990-01-05', n: 107, stage: 'APPLICANT', stageSince: '2026-02-01' },
    ];
    for (const i of inputs) {
      const r = await createMember(t.url, city, {
        orgUnitId: community, name: `新党员${i.n}`, idCardNumber: idCard(i.birth, i.n), education: 'BACHELOR', stage: i.stage, stageSince: i.stageSince,
        joinedOn: i.joinedOn, categories: ['IN_SERVICE'], flags: ['LOST_CONTACT'], reportedInCommunityId: community,
      });
      expect(r.errors).toBeUndefined();
    }
    await expectExact();
    const c = await viaApi(COMMUNITY);
    expect(c.inServiceReportedIn).toBeGreaterThanOrEqual(3);
  });

  it('stay exact after category, flag and stage changes', async () => {
    const { rows } = await t.db.query<{ id: string }>("select id::text from members.member where name like '新党员%' order by name");
    const upd = await gql(t.url, city, 'mutation($id: ID!) { updateMember(id: $id, input: { categories: [RETIRED, HARDSHIP], flags: [], reportedInCommunityId: null }) { id } }', { id: rows[0]!.id });
    expect(upd.errors).toBeUndefined();
    const step = await gql(t.url, city, 'mutation($id: ID!) { advanceRecruitment(id: $id, input: { to: ACTIVIST, on: "2026-06-01" }) { id } }', { id: rows[3]!.id });
    expect(step.errors).toBeUndefined();
    await expectExact();
  });

  it('stay exact after a community moves to another street (events from the organisation subgraph)', async () => {
    const before = { a: await viaApi(STREET_A), b: await viaApi(STREET_B), c: await viaApi(COMMUNITY) };
    const moved = await gql(t.url, city, 'mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p) { id } }', { id: t.unit('huangshi', COMMUNITY), p: t.unit('huangshi', STREET_B) });
    expect(moved.errors).toBeUndefined();
    await t.catchUpEvents();
    const after = { a: await viaApi(STREET_A), b: await viaApi(STREET_B) };
    expect(after.a.total).toBe(before.a.total - before.c.total);
    expect(after.b.total).toBe(before.b.total + before.c.total);
    expect(after.b.inServiceReportedIn).toBe(before.b.inServiceReportedIn + before.c.inServiceReportedIn);
    await expectExact();
  });

  it('stay exact after transfers (a member’s unit changes) and deletions', async () => {
    const { rows } = await t.db.query<{ id: string }>("select id::text from members.member where name like '新党员%' order by name");
    await t.db.query('update members.member set org_unit_id = $1 where id = any($2::uuid[])', [t.unit('huangshi', STREET_A), [rows[0]!.id, rows[1]!.id]]);
    await expectExact();
    await t.db.query('delete from members.recruitment_step where member_id = $1', [rows[2]!.id]);
    await t.db.query('delete from members.member where id = $1', [rows[2]!.id]);
    await expectExact();
  });

  it('stay exact when a birth date moves within its month across today’s birthday (the month’s count stays the same)', async () => {
    // Born 20 June 1995: 30 on 15 June 2026; born 10 June 1995: already 31. Only the month's days change.
    const { rows } = await t.db.query<{ id: string }>("select id::text from members.member where name like '新党员%' and birth_date = '1995-06-20'");
    expect(rows).toHaveLength(1);
    const before = await viaApi(STREET_A);
    await t.db.query("update members.member set birth_date = '1995-06-10' where id = $1", [rows[0]!.id]);
    const after = await viaApi(STREET_A);
    const band = (s: Stats, b: string) => s.byAgeBand.find((x) => x.ageBand === b)?.count ?? 0;
    expect(band(after, 'UP_TO_30')).toBe(band(before, 'UP_TO_30') - 1);
    expect(band(after, 'FROM_31_TO_40')).toBe(band(before, 'FROM_31_TO_40') + 1);
    await expectExact();
  });

  it('a district administrator asking the members service about the city gets its district’s part, as with visible members', async () => {
    const { createInternalSigner } = await import('@trellis/platform');
    const { testInternalKeys } = await import('@trellis/platform/testkit/index.ts');
    const sign = await createInternalSigner(testInternalKeys().privateKeyPem);
    const ask = async (scopeKey: string, unitKey: string) => {
      const cred = await sign('members', { sub: 's', tenantId: t.tenants.huangshi!.id, tenantSlug: 'huangshi', role: 'DISTRICT_ADMIN', scopeUnitId: t.unit('huangshi', scopeKey), scopes: [] });
      const sg = t.stack.subgraphs.find((x) => x.name === 'members')!;
      const r = await gql<{ _entities: { memberStatistics: Stats }[] }>(sg.url, cred, `query($r: [_Any!]!) { _entities(representations: $r) { ... on OrgUnit { memberStatistics { ${STATS} } } } }`, { r: [{ __typename: 'OrgUnit', id: t.unit('huangshi', unitKey) }] });
      expect(r.errors).toBeUndefined();
      return r.data!._entities[0]!.memberStatistics;
    };
    expect(await ask(DISTRICT, '中共黄石市委')).toEqual(await viaApi(DISTRICT));
    expect((await ask(STREET_B, STREET_A)).total).toBe(0);
    expect((await ask(STREET_B, STREET_A)).byStage).toEqual([]);
  });
});
