import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sqlCounter } from '@trellis/platform';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { NOW, createMember, idCard } from './helpers.ts';

let t: TestStack;
let city: string;
let member: string;
let applicant: string;
const GRID = '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委';
const OTHER = '中共黄石市委/黄石港区/红旗桥街道';

const DUES = 'dues { basis monthlyIncome monthlyAmount fromMonth arrears arrearsMonths arrearsAmount collectionRate payments { month amount paidOn recordedBy } }';
const setAccount = (id: string, input: Record<string, unknown>, token = city) =>
  gql<{ setDuesAccount: { dues: Record<string, unknown> } }>(t.url, token, `mutation($id: ID!, $i: DuesAccountInput!) { setDuesAccount(memberId: $id, input: $i) { ${DUES} } }`, { id, i: input });
const pay = (id: string, months: string[], paidOn = '2026-06-10') =>
  gql<{ recordDuesPayment: { dues: { arrears: string[]; arrearsMonths: number; arrearsAmount: number; collectionRate: number | null; payments: { month: string }[] } } }>(
    t.url, city, `mutation($id: ID!, $i: DuesPaymentInput!) { recordDuesPayment(memberId: $id, input: $i) { ${DUES} } }`, { id, i: { months, paidOn } });
const rate = async (unitId: string) => {
  const r = await gql<{ orgUnit: { memberStatistics: { duesCollectionRate: number | null } } }>(t.url, city, 'query($id: ID!) { orgUnit(id: $id) { memberStatistics { duesCollectionRate } } }', { id: unitId });
  expect(r.errors).toBeUndefined();
  return r.data!.orgUnit.memberStatistics.duesCollectionRate;
};

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
  const m = await createMember(t.url, city, { orgUnitId: t.unit('huangshi', GRID), name: '交费党员', idCardNumber: idCard('1985-03-03', 201), education: 'BACHELOR', stage: 'FULL', joinedOn: '2010-07-01', stageSince: '2011-07-01' });
  expect(m.errors).toBeUndefined();
  member = m.data!.createMember.id;
  const a = await createMember(t.url, city, { orgUnitId: t.unit('huangshi', GRID), name: '申请人', idCardNumber: idCard('1999-03-03', 203), education: 'BACHELOR', stage: 'APPLICANT', stageSince: '2026-01-01' });
  applicant = a.data!.createMember.id;
});
afterAll(() => t.close());

describe('dues (党费)', () => {
  it('computes the monthly amount from the default brackets of after-tax pay and pensions', async () => {
    const r = await setAccount(member, { basis: 'EMPLOYED', monthlyIncome: 6000, fromMonth: '2026-01' });
    expect(r.errors).toBeUndefined();
    expect(r.data!.setDuesAccount.dues).toMatchObject({ basis: 'EMPLOYED', monthlyIncome: 6000, monthlyAmount: 90, fromMonth: '2026-01', arrearsMonths: 5, arrearsAmount: 450, collectionRate: 0 });
    const retired = await setAccount(member, { basis: 'RETIRED', monthlyIncome: 4000, fromMonth: '2026-01' });
    expect(retired.data!.setDuesAccount.dues.monthlyAmount).toBe(20);
    const low = await setAccount(member, { basis: 'EMPLOYED', monthlyIncome: 3000, fromMonth: '2026-01' });
    expect(low.data!.setDuesAccount.dues.monthlyAmount).toBe(15);
  });

  it('uses the tenant’s own brackets once a city administrator sets them', async () => {
    const s = await gql(t.url, city, 'mutation { updateLedgerSettings(input: { employedDuesBrackets: [{ above: 0, rate: 0.01 }, { above: 5000, rate: 0.02 }] }) { employedDuesBrackets { above rate } } }');
    expect(s.errors).toBeUndefined();
    const r = await setAccount(member, { basis: 'EMPLOYED', monthlyIncome: 6000, fromMonth: '2026-01' });
    expect(r.data!.setDuesAccount.dues.monthlyAmount).toBe(120);
    const district = await t.token('huangshi', 'DISTRICT_ADMIN', { scope: '中共黄石市委/黄石港区' });
    expect(codes(await gql(t.url, district, 'mutation { updateLedgerSettings(input: { pointsBaseline: 60 }) { pointsBaseline } }'))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(t.url, city, 'mutation { updateLedgerSettings(input: { employedDuesBrackets: [{ above: 100, rate: 0.01 }] }) { pointsBaseline } }'))).toEqual(['BAD_USER_INPUT']);
  });

  it('records payments per month in full; arrears and the collection rate follow', async () => {
    const r = await pay(member, ['2026-01', '2026-02', '2026-03']);
    expect(r.errors).toBeUndefined();
    const d = r.data!.recordDuesPayment.dues;
    expect(d.arrears).toEqual(['2026-04', '2026-05']);
    expect(d.arrearsMonths).toBe(2);
    expect(d.arrearsAmount).toBe(240);
    expect(d.collectionRate).toBe(0.5); // 3 of January … June
    expect(d.payments.map((p) => p.month)).toEqual(['2026-01', '2026-02', '2026-03']);
  });

  it('refuses a month already paid, a month before the account, a future payment date, and non-members', async () => {
    const twice = await pay(member, ['2026-03', '2026-04']);
    expect(codes(twice)).toEqual(['CONFLICT']);
    expect(twice.errors![0]!.message).toContain('2026-03');
    expect(codes(await pay(member, ['2025-12']))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await pay(member, ['2026-13']))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await pay(member, ['2026-04'], '2026-07-01'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await setAccount(applicant, { basis: 'FIXED', monthlyAmount: 1, fromMonth: '2026-01' }))).toEqual(['CONFLICT']);
    expect(codes(await setAccount(member, { basis: 'EMPLOYED', monthlyIncome: 5000, fromMonth: '2026-02' }))).toEqual(['CONFLICT']);
    const { rows } = await t.db.query<{ n: number }>('select count(*)::int n from members.dues_payment where member_id = $1', [member]);
    expect(rows[0]!.n).toBe(3);
  });

  it('rolls the collection rate up to any subtree, and it follows a transfer', async () => {
    expect(await rate(t.unit('huangshi', GRID))).toBe(0.5);
    expect(await rate(t.unit('huangshi', '中共黄石市委'))).toBe(0.5);
    expect(await rate(t.unit('huangshi', OTHER))).toBeNull();
    await pay(member, ['2026-04', '2026-05', '2026-06']);
    expect(await rate(t.unit('huangshi', '中共黄石市委/黄石港区'))).toBe(1);
    await t.db.query('update members.member set org_unit_id = $1 where id = $2', [t.unit('huangshi', OTHER), member]);
    expect(await rate(t.unit('huangshi', GRID))).toBeNull();
    expect(await rate(t.unit('huangshi', OTHER))).toBe(1);
  });

  it('a page of 100 members with their organisations and ledgers costs the same number of SQL statements as a page of 10', async () => {
    // Ledgers for many members of the district, so the page really carries dues and points.
    await t.db.query(`insert into members.dues_account (tenant_id, member_id, org_path, monthly_income, monthly_amount, from_month, basis, updated_by)
      select tenant_id, id, org_path, 4000, 40, '2026-01-01', 'EMPLOYED', 'test' from members.member where tenant_id = $1 and stage in ('PROBATIONARY', 'FULL') on conflict do nothing`, [t.tenants.huangshi!.id]);
    await t.db.query(`insert into members.point_event (tenant_id, member_id, org_path, year, kind, rule, points, requested, occurred_on, recorded_by)
      select tenant_id, id, org_path, 2026, 'BASE', 'BASELINE', 70, 70, '2026-01-01', 'test' from members.member where tenant_id = $1 on conflict do nothing`, [t.tenants.huangshi!.id]);
    const query = `query($id: ID!, $first: Int!) { orgUnit(id: $id) { members(first: $first, status: FULL) { edges { node { id name
      organisation { id name } dues { monthlyAmount arrearsMonths collectionRate payments { month } } points { balance events { rule points } } } } }
      memberStatistics { total duesCollectionRate } } }`;
    const statementsFor = async (first: number) => {
      // Nothing kept from the previous call (statistics, units): the counts compare loads.
      await t.forgetCached('huangshi');
      const before = sqlCounter.total;
      const r = await gql<{ orgUnit: { members: { edges: { node: { dues: { monthlyAmount: number } | null; points: { balance: number } } }[] } } }>(t.url, city, query, { id: t.unit('huangshi', '中共黄石市委'), first });
      expect(r.errors).toBeUndefined();
      expect(r.data!.orgUnit.members.edges).toHaveLength(first);
      expect(r.data!.orgUnit.members.edges.every((e) => e.node.dues !== null && e.node.points.balance >= 70)).toBe(true);
      return sqlCounter.total - before;
    };
    const ten = await statementsFor(10);
    expect(await statementsFor(100)).toBe(ten);
    expect(ten).toBeLessThan(30);
  });
});
