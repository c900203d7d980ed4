import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { codes, gql } from '@trellis/platform/testkit/index.ts';

let t: TestStack;
let admin: string;
const HS = '中共黄石市委';
const DISTRICT = `${HS}/黄石港区`;
const STREET = `${DISTRICT}/黄石港街道`;
const COMMUNITY = `${STREET}/青山湖社区党委`;

beforeAll(async () => {
  t = await startTestStack();
  admin = await t.token('huangshi', 'CITY_ADMIN');
});
afterAll(() => t.close());

const unitFields = 'id name depth status kind { code } parent { id name } ancestors { name }';

describe('organisation tree through the gateway', () => {
  it('reads a unit with its kind, parent, ancestors, children and district', async () => {
    const r = await gql<{ orgUnit: { name: string; depth: number; district: { name: string }; ancestors: { name: string }[]; children: { name: string }[] } }>(
      t.url, admin, `query($id: ID!) { orgUnit(id: $id) { ${unitFields} district { name } children { name } } }`, { id: t.unit('huangshi', COMMUNITY) });
    expect(r.errors).toBeUndefined();
    expect(r.data!.orgUnit).toMatchObject({ name: '青山湖社区党委', depth: 3, district: { name: '黄石港区' } });
    expect(r.data!.orgUnit.ancestors.map((a) => a.name)).toEqual([HS, '黄石港区', '黄石港街道']);
    expect(r.data!.orgUnit.children.map((c) => c.name)).toContain('第一网格党支部');
  });

  it('lists a subtree to a depth and counts units by kind per district', async () => {
    const r = await gql<{ orgUnit: { subtree: { relativeDepth: number; unit: { kind: { code: string } } }[]; unitCounts: { kind: string; count: number }[] }; unitCountsByDistrict: { district: { name: string }; total: number; counts: { kind: string; count: number }[] }[] }>(
      t.url, admin, `query($id: ID!) { orgUnit(id: $id) { subtree(depth: 2) { relativeDepth unit { kind { code } } } unitCounts { kind count } }
        unitCountsByDistrict { district { name } total counts { kind count } } }`, { id: t.unit('huangshi', STREET) });
    expect(r.errors).toBeUndefined();
    const depths = new Set(r.data!.orgUnit.subtree.map((e) => e.relativeDepth));
    expect(depths).toEqual(new Set([1, 2]));
    const [d] = r.data!.unitCountsByDistrict;
    expect(d!.district.name).toBe('黄石港区');
    const { rows } = await t.db.query<{ n: number }>(`select count(*)::int n from organisation.org_unit u join organisation.tenant te on te.id = u.tenant_id where te.slug = 'huangshi' and u.depth >= 2 and u.status = 'ACTIVE'`);
    expect(d!.total).toBe(rows[0]!.n);
    expect(d!.counts.find((c) => c.kind === 'COMMUNITY')!.count).toBe(36);
  });

  it('searches Chinese names by partial match, best match first, within a subtree', async () => {
    const r = await gql<{ searchOrgUnits: { name: string }[] }>(t.url, admin, `{ searchOrgUnits(text: "青山湖") { name } }`);
    expect(r.data!.searchOrgUnits[0]!.name).toBe('青山湖社区党委');
    const under = await gql<{ searchOrgUnits: { name: string }[] }>(t.url, admin, `query($u: ID) { searchOrgUnits(text: "网格", under: $u, first: 100) { name } }`, { u: t.unit('huangshi', COMMUNITY) });
    expect(under.data!.searchOrgUnits.length).toBeGreaterThan(0);
    expect(under.data!.searchOrgUnits.length).toBeLessThan(10);
  });

  it('creates, renames, moves with the whole subtree, and keeps history for as-of queries', async () => {
    const created = await gql<{ createOrgUnit: { id: string; depth: number; kind: { code: string } } }>(t.url, admin,
      `mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "GRID", name: "第九网格党支部" }) { id depth kind { code } } }`, { p: t.unit('huangshi', COMMUNITY) });
    expect(created.errors).toBeUndefined();
    const gridId = created.data!.createOrgUnit.id;
    const group = await gql<{ createOrgUnit: { id: string } }>(t.url, admin,
      `mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "BUILDING_GROUP", name: "9号楼党小组" }) { id } }`, { p: gridId });
    const groupId = group.data!.createOrgUnit.id;
    const before = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await gql(t.url, admin, `mutation($id: ID!) { renameOrgUnit(id: $id, name: "第十网格党支部") { id } }`, { id: gridId });
    const target = t.unit('huangshi', `${STREET}/南岳社区党总支`);
    const moved = await gql<{ moveOrgUnit: { parent: { name: string } } }>(t.url, admin, `mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p) { parent { name } } }`, { id: gridId, p: target });
    expect(moved.errors).toBeUndefined();
    expect(moved.data!.moveOrgUnit.parent.name).toBe('南岳社区党总支');
    // The descendant followed: its ancestors now run through the new community.
    const child = await gql<{ orgUnit: { ancestors: { name: string }[] } }>(t.url, admin, `query($id: ID!) { orgUnit(id: $id) { ancestors { name } } }`, { id: groupId });
    expect(child.data!.orgUnit.ancestors.map((a) => a.name)).toEqual([HS, '黄石港区', '黄石港街道', '南岳社区党总支', '第十网格党支部']);
    // History: three versions; as of `before`, the grid sat under 青山湖 with its old name.
    const hist = await gql<{ orgUnit: { history: { change: string; name: string }[] }; orgTreeAsOf: { name: string; relativeDepth: number }[] }>(t.url, admin,
      `query($id: ID!, $root: ID!, $at: DateTime!) { orgUnit(id: $id) { history { change name } } orgTreeAsOf(rootId: $root, at: $at, depth: 1) { name relativeDepth } }`,
      { id: gridId, root: t.unit('huangshi', COMMUNITY), at: before.toISOString() });
    expect(hist.data!.orgUnit.history.map((h) => h.change)).toEqual(['CREATED', 'RENAMED', 'MOVED']);
    expect(hist.data!.orgTreeAsOf.map((u) => u.name)).toContain('第九网格党支部');
    const now = await gql<{ orgTreeAsOf: { name: string }[] }>(t.url, admin, `query($root: ID!, $at: DateTime!) { orgTreeAsOf(rootId: $root, at: $at, depth: 1) { name } }`,
      { root: t.unit('huangshi', COMMUNITY), at: new Date().toISOString() });
    expect(now.data!.orgTreeAsOf.map((u) => u.name)).not.toContain('第十网格党支部');
  });

  it('records a change late with the date it took effect, so the tree as of that date shows it', async () => {
    const community = t.unit('huangshi', `${STREET}/德胜社区党总支`);
    const grid = (await gql<{ createOrgUnit: { id: string } }>(t.url, admin,
      `mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "GRID", name: "补录网格党支部", effectiveFrom: "2025-01-01T00:00:00Z" }) { id } }`, { p: community })).data!.createOrgUnit.id;
    const target = t.unit('huangshi', `${DISTRICT}/红旗桥街道/湖滨社区党支部`);
    const moved = await gql(t.url, admin, `mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p, effectiveFrom: "2025-07-01T00:00:00Z") { id } }`, { id: grid, p: target });
    expect(moved.errors).toBeUndefined();
    const asOf = async (root: string, at: string) => (await gql<{ orgTreeAsOf: { name: string }[] }>(t.url, admin,
      'query($r: ID!, $at: DateTime!) { orgTreeAsOf(rootId: $r, at: $at, depth: 1) { name } }', { r: root, at })).data!.orgTreeAsOf.map((u) => u.name);
    expect(await asOf(community, '2025-03-01T00:00:00Z')).toContain('补录网格党支部');
    expect(await asOf(target, '2025-03-01T00:00:00Z')).not.toContain('补录网格党支部');
    expect(await asOf(target, '2025-08-01T00:00:00Z')).toContain('补录网格党支部');
    expect(await asOf(community, '2024-12-01T00:00:00Z')).not.toContain('补录网格党支部');
    expect(await asOf(community, '2017-06-01T00:00:00Z')).toEqual([]);
    const tooEarly = await gql(t.url, admin, `mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "GRID", name: "过早网格党支部", effectiveFrom: "2016-01-01T00:00:00Z" }) { id } }`, { p: community });
    expect(tooEarly.errors![0]!.message).toMatch(/did not exist \(or was not active\) on 2016-01-01/);
    const future = await gql(t.url, admin, 'mutation($id: ID!) { renameOrgUnit(id: $id, name: "未来", effectiveFrom: "2999-01-01T00:00:00Z") { id } }', { id: grid });
    expect(future.errors![0]!.message).toMatch(/cannot take effect in the future/);
    const beforeLast = await gql(t.url, admin, 'mutation($id: ID!) { renameOrgUnit(id: $id, name: "倒退", effectiveFrom: "2025-02-01T00:00:00Z") { id } }', { id: grid });
    expect(beforeLast.errors![0]!.message).toMatch(/before the last recorded change \(2025-07-01/);
  });

  it('rejects invalid moves and creations with BAD_USER_INPUT naming the problem, and changes nothing', async () => {
    const cycle = await gql(t.url, admin, `mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p) { id } }`, { id: t.unit('huangshi', STREET), p: t.unit('huangshi', COMMUNITY) });
    expect(codes(cycle)).toEqual(['BAD_USER_INPUT']);
    expect(cycle.errors![0]!.message).toMatch(/cycle/);
    const wrongKind = await gql(t.url, admin, `mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p) { id } }`, { id: t.unit('huangshi', COMMUNITY), p: t.unit('huangshi', DISTRICT) });
    expect(codes(wrongKind)).toEqual(['BAD_USER_INPUT']);
    expect(wrongKind.errors![0]!.message).toMatch(/may not sit under a DISTRICT/);
    const foreign = await gql(t.url, admin, `mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p) { id } }`, { id: t.unit('huangshi', COMMUNITY), p: t.unit('haiyang', '中共海阳市委/方圆街道') });
    expect(codes(foreign)).toEqual(['BAD_USER_INPUT']);
    expect(foreign.errors![0]!.message).toMatch(/does not exist or is outside/);
    const unknownKind = await gql(t.url, admin, `mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "PLANET", name: "x" }) { id } }`, { p: t.unit('huangshi', COMMUNITY) });
    expect(unknownKind.errors![0]!.message).toMatch(/not a unit kind of this tenant; use one of/);
    const dup = await gql(t.url, admin, `mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "GRID", name: "第一网格党支部" }) { id } }`, { p: t.unit('huangshi', COMMUNITY) });
    expect(codes(dup)).toEqual(['BAD_USER_INPUT']);
    const { rows } = await t.db.query<{ path: string }>('select path::text from organisation.org_unit where id = $1', [t.unit('huangshi', COMMUNITY)]);
    expect(rows[0]!.path.split('.')).toHaveLength(4);
  });

  it('rolls back every field of a mutation request when one of them fails', async () => {
    const r = await gql(t.url, admin, `mutation($p: ID!) {
      a: createOrgUnit(input: { parentId: $p, kind: "GRID", name: "回滚测试网格" }) { id }
      b: createOrgUnit(input: { parentId: $p, kind: "PLANET", name: "不合法" }) { id } }`, { p: t.unit('huangshi', COMMUNITY) });
    expect(codes(r)).toContain('BAD_USER_INPUT');
    const { rows } = await t.db.query(`select 1 from organisation.org_unit where name = '回滚测试网格'`);
    expect(rows).toHaveLength(0);
  });

  it('merges a unit into another of the same kind, refusing name clashes and dissolving units with children', async () => {
    const street = t.unit('huangshi', STREET);
    const mk = async (parentId: string, kind: string, name: string) =>
      (await gql<{ createOrgUnit: { id: string } }>(t.url, admin, `mutation($p: ID!, $k: String!, $n: String!) { createOrgUnit(input: { parentId: $p, kind: $k, name: $n }) { id } }`, { p: parentId, k: kind, n: name })).data!.createOrgUnit.id;
    const a = await mk(street, 'COMMUNITY', '合并甲社区党支部');
    const b = await mk(street, 'COMMUNITY', '合并乙社区党支部');
    const gridA = await mk(a, 'GRID', '甲一网格党支部');
    await mk(a, 'GRID', '共用网格党支部');
    const clashB = await mk(b, 'GRID', '共用网格党支部');
    const dissolve = await gql(t.url, admin, `mutation($id: ID!) { dissolveOrgUnit(id: $id) { id } }`, { id: a });
    expect(dissolve.errors![0]!.message).toMatch(/still has 2 active child/);
    const clash = await gql(t.url, admin, `mutation($s: ID!, $t: ID!) { mergeOrgUnits(sourceId: $s, targetId: $t) { id } }`, { s: a, t: b });
    expect(clash.errors![0]!.message).toMatch(/already has an active unit called 共用网格党支部/);
    await gql(t.url, admin, `mutation($id: ID!) { dissolveOrgUnit(id: $id) { status } }`, { id: clashB });
    const merged = await gql<{ mergeOrgUnits: { children: { id: string }[] } }>(t.url, admin, `mutation($s: ID!, $t: ID!) { mergeOrgUnits(sourceId: $s, targetId: $t) { children { id } } }`, { s: a, t: b });
    expect(merged.errors).toBeUndefined();
    expect(merged.data!.mergeOrgUnits.children.map((c) => c.id)).toContain(gridA);
    const src = await gql<{ orgUnit: { status: string; mergedInto: { id: string } } }>(t.url, admin, `query($id: ID!) { orgUnit(id: $id) { status mergedInto { id } } }`, { id: a });
    expect(src.data!.orgUnit).toEqual({ status: 'MERGED', mergedInto: { id: b } });
  });

  it('records stationed units, agreements and a big committee with its part-time member cycle', async () => {
    const host = t.unit('huangshi', COMMUNITY);
    const su = await gql<{ createStationedUnit: { id: string } }>(t.url, admin, `mutation($c: ID!) { createStationedUnit(input: { name: "黄石市测试学校", category: SCHOOL, locatedInId: $c }) { id } }`, { c: host });
    const suId = su.data!.createStationedUnit.id;
    const ag = await gql(t.url, admin, `mutation($s: ID!, $c: ID!) { signCoBuildingAgreement(input: { stationedUnitId: $s, partnerId: $c, signedOn: "2026-03-01", pledges: ["提供活动场地"] }) { pledges partner { name } } }`, { s: suId, c: host });
    expect(ag.errors).toBeUndefined();
    const bc = await gql<{ formBigCommittee: { id: string } }>(t.url, admin, `mutation($h: ID!) { formBigCommittee(hostId: $h, name: "测试大党委") { id } }`, { h: host });
    const bcId = bc.data!.formBigCommittee.id;
    const notMember = await gql(t.url, admin, `mutation($c: ID!, $s: ID!) { recommendPartTimeMember(committeeId: $c, personName: "王芳", stationedUnitId: $s) { id } }`, { c: bcId, s: suId });
    expect(notMember.errors![0]!.message).toMatch(/not a member unit/);
    await gql(t.url, admin, `mutation($c: ID!, $s: ID!) { addBigCommitteeMemberUnit(committeeId: $c, stationedUnitId: $s) { id } }`, { c: bcId, s: suId });
    const again = await gql(t.url, admin, `mutation($c: ID!, $s: ID!) { addBigCommitteeMemberUnit(committeeId: $c, stationedUnitId: $s) { id } }`, { c: bcId, s: suId });
    expect(codes(again)).toEqual(['CONFLICT']);
    const rec = await gql<{ recommendPartTimeMember: { id: string; status: string } }>(t.url, admin, `mutation($c: ID!, $s: ID!) { recommendPartTimeMember(committeeId: $c, personName: "王芳", stationedUnitId: $s) { id status } }`, { c: bcId, s: suId });
    const pid = rec.data!.recommendPartTimeMember.id;
    const exitEarly = await gql(t.url, admin, `mutation($id: ID!) { exitPartTimeMember(id: $id, on: "2026-05-01") { id } }`, { id: pid });
    expect(exitEarly.errors![0]!.message).toMatch(/is RECOMMENDED; only a APPOINTED/);
    const app = await gql<{ appointPartTimeMember: { status: string } }>(t.url, admin, `mutation($id: ID!) { appointPartTimeMember(id: $id, on: "2026-04-01") { status } }`, { id: pid });
    expect(app.data!.appointPartTimeMember.status).toBe('APPOINTED');
    const view = await gql<{ bigCommittee: { host: { name: string }; memberUnits: { name: string }[]; partTimeMembers: { personName: string; stationedUnit: { name: string } }[] } }>(t.url, admin,
      `query($id: ID!) { bigCommittee(id: $id) { host { name } memberUnits { name } partTimeMembers { personName stationedUnit { name } } } }`, { id: bcId });
    expect(view.data!.bigCommittee).toEqual({ host: { name: '青山湖社区党委' }, memberUnits: [{ name: '黄石市测试学校' }], partTimeMembers: [{ personName: '王芳', stationedUnit: { name: '黄石市测试学校' } }] });
  });

  it('lets the city administrator configure unit kinds, refusing rules existing units would break', async () => {
    const cfg = (token: string, input: Record<string, unknown>) => gql<{ configureUnitKind: { code: string; allowedParents: string[] } }>(t.url, token,
      'mutation($i: UnitKindInput!) { configureUnitKind(input: $i) { code name allowedParents } }', { i: input });
    const added = await cfg(admin, { code: 'SERVICE_STATION', name: '党群服务站', allowedParents: ['COMMUNITY'], special: true, defaultForm: 'BRANCH' });
    expect(added.data!.configureUnitKind).toMatchObject({ code: 'SERVICE_STATION', allowedParents: ['COMMUNITY'] });
    const station = await gql(t.url, admin, 'mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: "SERVICE_STATION", name: "青山湖党群服务站" }) { form } }', { p: t.unit('huangshi', COMMUNITY) });
    expect(station.data).toEqual({ createOrgUnit: { form: 'BRANCH' } });
    const breaking = await cfg(admin, { code: 'GRID', name: '网格党支部', allowedParents: ['STREET'] });
    expect(breaking.errors![0]!.message).toMatch(/active GRID unit\(s\) sit where the new rule forbids/);
    const unknownParent = await cfg(admin, { code: 'X_KIND', name: '未知', allowedParents: ['NOPE'] });
    expect(unknownParent.errors![0]!.message).toMatch(/unknown kind\(s\) NOPE/);
    const street = await t.token('huangshi', 'STREET_ADMIN', { scope: STREET });
    expect(codes(await cfg(street, { code: 'Y_KIND', name: '无权', allowedParents: ['COMMUNITY'] }))).toEqual(['FORBIDDEN']);
  });

  it('publishes an event per unit change on the stream, numbered per tenant without gaps', async () => {
    const { rows } = await t.db.query<{ n: number; max: string; last: string }>(
      `select count(*)::int n, max(s.seq)::text max, (select last_seq::text from events.counter c where c.topic = 'organisation' and c.tenant_id = $1) last
         from events.stream s where s.topic = 'organisation' and s.tenant_id = $1`, [t.tenants.huangshi!.id]);
    expect(rows[0]!.n).toBeGreaterThan(471);
    expect(Number(rows[0]!.max)).toBe(rows[0]!.n);
    expect(rows[0]!.last).toBe(rows[0]!.max);
  });
});

describe('the unit-count rollup', () => {
  it('equals a direct count over the tree for every unit after creations, moves, merges and dissolutions', async () => {
    const { rows } = await t.db.query<{ id: string; kind: string; rollup: number; actual: number }>(`
      with actual as (
        select a.id, d.kind, count(*)::int as n
          from organisation.org_unit a
          join organisation.org_unit d on d.path <@ a.path and d.id <> a.id and d.status = 'ACTIVE'
         group by a.id, d.kind)
      select coalesce(r.ancestor_id, x.id)::text as id, coalesce(r.kind, x.kind) as kind, coalesce(r.count, 0) as rollup, coalesce(x.n, 0) as actual
        from organisation.unit_count_rollup r full join actual x on x.id = r.ancestor_id and x.kind = r.kind
       where coalesce(r.count, 0) <> coalesce(x.n, 0)`);
    expect(rows).toEqual([]);
    const { rows: total } = await t.db.query<{ n: number }>('select count(*)::int n from organisation.unit_count_rollup where count > 0');
    expect(total[0]!.n).toBeGreaterThan(100);
  });
});
