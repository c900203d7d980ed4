import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { NOW, createMember, idCard } from './helpers.ts';

let t: TestStack;
let city: string;
const GRID = '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委';
beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
});
afterAll(() => t.close());

describe('personal data', () => {
  let id: string;
  beforeAll(async () => {
    const r = await createMember(t.url, city, {
      orgUnitId: t.unit('huangshi', GRID), name: '李晓东', idCardNumber: idCard('1960-03-13', 445), education: 'JUNIOR_SECONDARY',
      phone: '13919375836', stage: 'FULL', joinedOn: '1981-09-04', stageSince: '1982-09-04', categories: ['LAID_OFF', 'SELF_MANAGED'],
    });
    expect(r.errors).toBeUndefined();
    id = r.data!.createMember.id;
    expect(r.data!.createMember).toMatchObject({ gender: 'MALE', birthDate: '1960-03-13', age: 66, ageBand: 'FROM_61_TO_70', stage: 'FULL' });
  });

  it('masks the ID card number and phone without the members:personal-data permission, and records no audit', async () => {
    const r = await gql<{ member: Record<string, unknown> }>(t.url, city, 'query($id: ID!) { member(id: $id) { idCardNumber phone personalDataMasked } }', { id });
    expect(r.data!.member).toEqual({ idCardNumber: '4202**********' + idCard('1960-03-13', 445).slice(-4), phone: '139****5836', personalDataMasked: true });
    const { rows } = await t.db.query('select 1 from members.personal_data_read where member_id = $1', [id]);
    expect(rows).toHaveLength(0);
  });

  it('shows them with the permission and records every unmasked read in the audit table', async () => {
    const token = await t.token('huangshi', 'CITY_ADMIN', { scopes: ['members:personal-data'], sub: 'auditor-1' });
    const r = await gql<{ member: Record<string, unknown> }>(t.url, token, 'query($id: ID!) { member(id: $id) { idCardNumber phone personalDataMasked } }', { id });
    expect(r.data!.member).toEqual({ idCardNumber: idCard('1960-03-13', 445), phone: '13919375836', personalDataMasked: false });
    const { rows } = await t.db.query<{ field: string; principal: string }>('select field, principal from members.personal_data_read where member_id = $1 order by field', [id]);
    expect(rows).toEqual([{ field: 'idCardNumber', principal: 'auditor-1' }, { field: 'phone', principal: 'auditor-1' }]);
  });

  it('stores the ID card number encrypted, never in clear text', async () => {
    const { rows } = await t.db.query<{ row: string }>('select m::text as row from members.member m where id = $1', [id]);
    expect(rows[0]!.row).not.toContain(idCard('1960-03-13', 445));
    expect(rows[0]!.row).toContain('v1.');
  });

  it('rejects a second member with the same ID card number (CONFLICT) and a wrong check digit (BAD_USER_INPUT)', async () => {
    const base = { orgUnitId: t.unit('huangshi', GRID), name: '重复', education: 'BACHELOR', stage: 'APPLICANT', stageSince: '2026-01-01' };
    expect(codes(await createMember(t.url, city, { ...base, idCardNumber: idCard('1960-03-13', 445) }))).toEqual(['CONFLICT']);
    const wrong = idCard('1990-01-01', 12).slice(0, 17) + (idCard('1990-01-01', 12).endsWith('0') ? '1' : '0');
    const bad = await createMember(t.url, city, { ...base, idCardNumber: wrong });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.errors![0]!.message).toMatch(/check digit/);
  });

  it('an integrator without members:read is refused', async () => {
    const token = await t.token('huangshi', 'INTEGRATOR', { scopes: ['org:read'] });
    expect(codes(await gql(t.url, token, 'query($id: ID!) { member(id: $id) { name } }', { id }))).toEqual(['FORBIDDEN']);
  });
});

describe('recruitment pipeline', () => {
  const advance = (id: string, input: Record<string, unknown>) => gql<{ advanceRecruitment: { stage: string; probationEndsOn: string | null; joinedOn: string | null; fullOn: string | null } }>(t.url, city,
    'mutation($id: ID!, $input: RecruitmentStepInput!) { advanceRecruitment(id: $id, input: $input) { stage joinedOn fullOn probationEndsOn } }', { id, input });

  it('walks applicant → activist → development target → probationary → full, refusing illegal steps with the current stage named', async () => {
    const r = await createMember(t.url, city, { orgUnitId: t.unit('huangshi', GRID), name: '王志强', idCardNumber: idCard('1998-05-20', 121), education: 'BACHELOR', stage: 'APPLICANT', stageSince: '2023-03-01' });
    const id = r.data!.createMember.id;
    expect((await advance(id, { to: 'ACTIVIST', on: '2023-09-01' })).data!.advanceRecruitment.stage).toBe('ACTIVIST');

    const skip = await advance(id, { to: 'PROBATIONARY', on: '2024-01-01', approvedBy: '党委' });
    expect(codes(skip)).toEqual(['BAD_USER_INPUT']);
    expect(skip.errors![0]!.message).toContain('currently ACTIVIST');
    expect(skip.errors![0]!.message).toContain('DEVELOPMENT_TARGET');

    expect(codes(await advance(id, { to: 'DEVELOPMENT_TARGET', on: '2023-08-01' }))).toEqual(['BAD_USER_INPUT']); // before becoming activist
    expect((await advance(id, { to: 'DEVELOPMENT_TARGET', on: '2024-03-01' })).data!.advanceRecruitment.stage).toBe('DEVELOPMENT_TARGET');
    const noApprover = await advance(id, { to: 'PROBATIONARY', on: '2025-06-01' });
    expect(codes(noApprover)).toEqual(['BAD_USER_INPUT']);
    expect(noApprover.errors![0]!.extensions!.field).toBe('input.approvedBy');
    const admitted = await advance(id, { to: 'PROBATIONARY', on: '2025-06-01', approvedBy: '中共黄石港街道工作委员会' });
    expect(admitted.data!.advanceRecruitment).toEqual({ stage: 'PROBATIONARY', joinedOn: '2025-06-01', fullOn: null, probationEndsOn: '2026-06-01' });

    const early = await advance(id, { to: 'FULL', on: '2026-05-20', approvedBy: '中共黄石港街道工作委员会' });
    expect(codes(early)).toEqual(['BAD_USER_INPUT']);
    expect(early.errors![0]!.message).toContain('2026-06-01');
    expect(codes(await advance(id, { to: 'FULL', on: '2026-06-20', approvedBy: '中共黄石港街道工作委员会' }))).toEqual(['BAD_USER_INPUT']); // future
    const full = await advance(id, { to: 'FULL', on: '2026-06-05', approvedBy: '中共黄石港街道工作委员会' });
    expect(full.data!.advanceRecruitment).toEqual({ stage: 'FULL', joinedOn: '2025-06-01', fullOn: '2026-06-05', probationEndsOn: null });

    const again = await advance(id, { to: 'FULL', on: '2026-06-10', approvedBy: 'x' });
    expect(again.errors![0]!.message).toContain('currently FULL');

    const h = await gql<{ member: { recruitmentHistory: { from: string | null; to: string; effectiveOn: string; approvedBy: string | null }[] } }>(t.url, city,
      'query($id: ID!) { member(id: $id) { recruitmentHistory { from to effectiveOn approvedBy } } }', { id });
    expect(h.data!.member.recruitmentHistory).toEqual([
      { from: null, to: 'APPLICANT', effectiveOn: '2023-03-01', approvedBy: null },
      { from: 'APPLICANT', to: 'ACTIVIST', effectiveOn: '2023-09-01', approvedBy: null },
      { from: 'ACTIVIST', to: 'DEVELOPMENT_TARGET', effectiveOn: '2024-03-01', approvedBy: null },
      { from: 'DEVELOPMENT_TARGET', to: 'PROBATIONARY', effectiveOn: '2025-06-01', approvedBy: '中共黄石港街道工作委员会' },
      { from: 'PROBATIONARY', to: 'FULL', effectiveOn: '2026-06-05', approvedBy: '中共黄石港街道工作委员会' },
    ]);
  });
});
