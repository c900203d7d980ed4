import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { applyUnitChanged } from '../src/unitPath.ts';
import { NOW, createMember, idCard } from './helpers.ts';

let t: TestStack;
let city: string;
let district: string;
let sibling: { district: string; street: string };
const OWN = '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委';

/** The members subgraph's follower applies the organisation events published since it last ran. */
const sync = () => t.catchUpEvents();

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
  district = await t.token('huangshi', 'DISTRICT_ADMIN', { scope: '中共黄石市委/黄石港区' });
  const mk = async (p: string, kind: string, name: string) => {
    const r = await gql<{ createOrgUnit: { id: string } }>(t.url, city, 'mutation($p: ID!, $k: String!, $n: String!) { createOrgUnit(input: { parentId: $p, kind: $k, name: $n }) { id } }', { p, k: kind, n: name });
    expect(r.errors).toBeUndefined();
    return r.data!.createOrgUnit.id;
  };
  const d = await mk(t.unit('huangshi', '中共黄石市委'), 'DISTRICT', '西塞山区');
  sibling = { district: d, street: await mk(d, 'STREET', '八泉街道') };
});
afterAll(() => t.close());

describe('unit paths from organisation events', () => {
  it('applies new events once: a second sync of the same stream changes nothing', async () => {
    expect(await sync()).toBeGreaterThanOrEqual(2);
    expect(await sync()).toBe(0);
    const { rows } = await t.db.query<{ path: string }>('select path::text from members.unit_path where unit_id = $1', [sibling.street]);
    expect(rows[0]!.path).toBe(`${t.unit('huangshi', '中共黄石市委').replace(/-/g, '')}.${sibling.district.replace(/-/g, '')}.${sibling.street.replace(/-/g, '')}`);
  });
});

describe('scope: a district administrator and its sibling district', () => {
  let siblingMember: string;
  let ownMember: string;
  beforeAll(async () => {
    const a = await createMember(t.url, city, { orgUnitId: sibling.street, name: '邻区党员', idCardNumber: idCard('1980-01-01', 11), education: 'BACHELOR', stage: 'PROBATIONARY', stageSince: '2026-01-10' });
    expect(a.errors).toBeUndefined();
    siblingMember = a.data!.createMember.id;
    const b = await createMember(t.url, district, { orgUnitId: t.unit('huangshi', OWN), name: '本区党员', idCardNumber: idCard('1981-01-01', 13), education: 'BACHELOR', stage: 'APPLICANT', stageSince: '2026-01-10' });
    expect(b.errors).toBeUndefined();
    ownMember = b.data!.createMember.id;
  });

  it('reads its own district’s member but gets NOT_FOUND for the sibling district’s member', async () => {
    const own = await gql<{ member: { name: string } }>(t.url, district, 'query($id: ID!) { member(id: $id) { name } }', { id: ownMember });
    expect(own.data!.member.name).toBe('本区党员');
    const other = await gql(t.url, district, 'query($id: ID!) { member(id: $id) { name } }', { id: siblingMember });
    expect(codes(other)).toEqual(['NOT_FOUND']);
    const cityView = await gql<{ member: { name: string } }>(t.url, city, 'query($id: ID!) { member(id: $id) { name } }', { id: siblingMember });
    expect(cityView.data!.member.name).toBe('邻区党员');
  });

  it('cannot register into, advance or edit members of the sibling district', async () => {
    const create = await createMember(t.url, district, { orgUnitId: sibling.street, name: '越界', idCardNumber: idCard('1982-01-01', 15), education: 'BACHELOR', stage: 'APPLICANT', stageSince: '2026-01-10' });
    expect(codes(create)).toEqual(['NOT_FOUND']);
    const step = await gql(t.url, district, 'mutation($id: ID!) { advanceRecruitment(id: $id, input: { to: FULL, on: "2026-06-01", approvedBy: "x" }) { id } }', { id: siblingMember });
    expect(codes(step)).toEqual(['NOT_FOUND']);
    const edit = await gql(t.url, district, 'mutation($id: ID!) { updateMember(id: $id, input: { name: "改名" }) { id } }', { id: siblingMember });
    expect(codes(edit)).toEqual(['NOT_FOUND']);
    const { rows } = await t.db.query<{ name: string; stage: string }>('select name, stage from members.member where id = $1', [siblingMember]);
    expect(rows[0]).toEqual({ name: '邻区党员', stage: 'PROBATIONARY' });
  });

  it('a member follows its unit when the unit moves: the scope changes with the new path', async () => {
    const grid = t.unit('huangshi', OWN);
    const { rows: [u] } = await t.db.query<{ parent_id: string; kind: string; name: string; status: string; last_seq: string }>('select parent_id::text, kind, name, status, last_seq::text from members.unit_path where unit_id = $1', [grid]);
    const moved = { id: grid, parentId: sibling.street, kind: u!.kind, name: u!.name, status: u!.status, path: `${t.unit('huangshi', '中共黄石市委').replace(/-/g, '')}.${sibling.district.replace(/-/g, '')}.${sibling.street.replace(/-/g, '')}.${grid.replace(/-/g, '')}` };
    const seq = 1_000_000;
    const client = new pg.Client({ connectionString: t.db.adminUrl });
    await client.connect();
    try {
      expect(await applyUnitChanged(client, { tenantId: t.tenants.huangshi!.id, seq, type: 'org_unit.changed', payload: moved })).toBe(true);
      expect(await applyUnitChanged(client, { tenantId: t.tenants.huangshi!.id, seq, type: 'org_unit.changed', payload: moved })).toBe(false);
      expect(await applyUnitChanged(client, { tenantId: t.tenants.huangshi!.id, seq: 5, type: 'org_unit.changed', payload: { ...moved, name: '旧事件' } })).toBe(false);
      const hidden = await gql(t.url, district, 'query($id: ID!) { member(id: $id) { name } }', { id: ownMember });
      expect(codes(hidden)).toEqual(['NOT_FOUND']);
    } finally {
      // Move it back (a newer event) so the rest of the file sees the demo tree.
      const back = { ...moved, parentId: u!.parent_id, path: (await t.db.query<{ path: string }>('select path::text from organisation.org_unit where id = $1', [grid])).rows[0]!.path };
      expect(await applyUnitChanged(client, { tenantId: t.tenants.huangshi!.id, seq: seq + 1, type: 'org_unit.changed', payload: back })).toBe(true);
      await client.end();
    }
    const visible = await gql<{ member: { name: string } }>(t.url, district, 'query($id: ID!) { member(id: $id) { name } }', { id: ownMember });
    expect(visible.data!.member.name).toBe('本区党员');
  });
});

interface Stats { total: number; probationary: number; full: number; byStage: { stage: string; count: number }[]; byCategory: { category: string; count: number }[]; byAgeBand: { ageBand: string; count: number }[]; byEducation: { education: string; count: number }[]; byFlag: { flag: string; count: number }[] }
const STATS = 'memberStatistics { total probationary full byStage { stage count } byCategory { category count } byAgeBand { ageBand count } byEducation { education count } byFlag { flag count } }';

describe('statistics over a subtree', () => {
  const stats = async (id: string) => {
    const r = await gql<{ orgUnit: { memberStatistics: Stats } }>(t.url, city, `query($id: ID!) { orgUnit(id: $id) { ${STATS} } }`, { id });
    expect(r.errors).toBeUndefined();
    return r.data!.orgUnit.memberStatistics;
  };

  it('counts exactly the members inserted under a new community, and the district rollup grows by the same', async () => {
    const community = (await gql<{ createOrgUnit: { id: string } }>(t.url, city, 'mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "COMMUNITY", name: "统计社区" }) { id } }', { p: sibling.street })).data!.createOrgUnit.id;
    await sync();
    const districtBefore = await stats(sibling.district);
    expect(await stats(community)).toEqual({ total: 0, probationary: 0, full: 0, byStage: [], byCategory: [], byAgeBand: [], byEducation: [], byFlag: [] });
    const base = { orgUnitId: community, education: 'BACHELOR' };
    const made = await Promise.all([
      createMember(t.url, city, { ...base, name: '甲', idCardNumber: idCard('1960-03-13', 21), stage: 'FULL', joinedOn: '1985-07-01', stageSince: '1986-07-01', categories: ['RETIRED', 'HARDSHIP'], flags: ['LOST_CONTACT'] }),
      createMember(t.url, city, { ...base, name: '乙', idCardNumber: idCard('1996-06-16', 22), stage: 'FULL', joinedOn: '2020-07-01', stageSince: '2021-07-01', categories: ['IN_SERVICE'], education: 'POSTGRADUATE' }),
      createMember(t.url, city, { ...base, name: '丙', idCardNumber: idCard('1996-06-15', 24), stage: 'PROBATIONARY', stageSince: '2026-01-01', categories: ['IN_SERVICE'] }),
      createMember(t.url, city, { ...base, name: '丁', idCardNumber: idCard('2000-01-01', 26), stage: 'APPLICANT', stageSince: '2026-03-01', categories: ['IN_SERVICE'] }),
    ]);
    for (const m of made) expect(m.errors).toBeUndefined();
    // On 2026-06-15: born 1996-06-16 is 29 (birthday tomorrow), born 1996-06-15 is 30 today, born 1960 is 66.
    expect(await stats(community)).toEqual({
      total: 3, probationary: 1, full: 2,
      byStage: [{ stage: 'APPLICANT', count: 1 }, { stage: 'FULL', count: 2 }, { stage: 'PROBATIONARY', count: 1 }],
      byCategory: [{ category: 'HARDSHIP', count: 1 }, { category: 'IN_SERVICE', count: 2 }, { category: 'RETIRED', count: 1 }],
      byAgeBand: [{ ageBand: 'FROM_61_TO_70', count: 1 }, { ageBand: 'UP_TO_30', count: 2 }],
      byEducation: [{ education: 'BACHELOR', count: 2 }, { education: 'POSTGRADUATE', count: 1 }],
      byFlag: [{ flag: 'LOST_CONTACT', count: 1 }],
    });
    const districtAfter = await stats(sibling.district);
    expect(districtAfter.total - districtBefore.total).toBe(3);
    expect(districtAfter.probationary - districtBefore.probationary).toBe(1);
  });

  it('pages members of a subtree with filters by category, status and age band', async () => {
    const q = `query($id: ID!, $after: String, $c: MemberCategory, $s: RecruitmentStage, $a: AgeBand) { orgUnit(id: $id) { members(first: 2, after: $after, category: $c, status: $s, ageBand: $a) { edges { node { name } } pageInfo { endCursor hasNextPage } } } }`;
    type R = { orgUnit: { members: { edges: { node: { name: string } }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } } };
    const names = async (vars: Record<string, unknown>) => {
      const out: string[] = [];
      let after: string | null = null;
      for (;;) {
        const r: Awaited<ReturnType<typeof gql<R>>> = await gql<R>(t.url, city, q, { id: sibling.district, after, ...vars });
        expect(r.errors).toBeUndefined();
        out.push(...r.data!.orgUnit.members.edges.map((e) => e.node.name));
        if (!r.data!.orgUnit.members.pageInfo.hasNextPage) return out;
        after = r.data!.orgUnit.members.pageInfo.endCursor;
      }
    };
    expect((await names({})).sort()).toEqual(['丁', '丙', '乙', '甲', '邻区党员'].sort());
    expect((await names({ c: 'IN_SERVICE' })).sort()).toEqual(['丁', '丙', '乙'].sort());
    expect(await names({ s: 'PROBATIONARY' })).toEqual(expect.arrayContaining(['丙', '邻区党员']));
    expect((await names({ a: 'UP_TO_30' })).sort()).toEqual(['丁', '丙', '乙'].sort());
    expect(await names({ a: 'FROM_61_TO_70' })).toEqual(['甲']);
    const bad = await gql(t.url, city, q.replace('first: 2', 'first: 500'), { id: sibling.district });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });
});
