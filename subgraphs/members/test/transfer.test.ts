import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { NOW, TODAY, createMember, idCard } from './helpers.ts';
import { expectExact, viaApi } from './statistics.ts';

let t: TestStack;
let now = NOW;
let city: string;
let haiyangCity: string;
const SENDER = '中共黄石市委/黄石港区/黄石港街道/青山湖社区党委';
const RECEIVER = '中共黄石市委/黄石港区/红旗桥街道/林红社区党支部';
let sender: string;
let receiver: string;

const TRANSFER = 'id status memberName crossTenant toTenantId letterNumber letterIssuedOn letterExpiresOn receiptNumber receivedOn fromUnit { id } toUnit { id } member { id } history { from to note recordedBy }';
const total = async (token: string, unit: string) =>
  (await gql<{ orgUnit: { memberStatistics: { total: number } } }>(t.url, token, 'query($id: ID!) { orgUnit(id: $id) { memberStatistics { total } } }', { id: unit })).data!.orgUnit.memberStatistics.total;

async function newMember(token: string, unit: string, name: string, n: number, stage = 'FULL') {
  const r = await createMember(t.url, token, { orgUnitId: unit, name, idCardNumber: idCard('1985-03-01', n), education: 'BACHELOR', stage,
    stageSince: stage === 'FULL' ? '2015-07-01' : '2026-01-05', ...(stage === 'FULL' ? { joinedOn: '2014-07-01' } : {}) });
  expect(r.errors).toBeUndefined();
  return r.data!.createMember.id;
}
const run = <T>(token: string, q: string, v: Record<string, unknown>) => gql<T>(t.url, token, q, v);
const initiate = (token: string, input: Record<string, unknown>) => run<{ initiateTransfer: Record<string, unknown> & { id: string; status: string } }>(token, `mutation($i: InitiateTransferInput!) { initiateTransfer(input: $i) { ${TRANSFER} } }`, { i: input });
const release = (token: string, id: string, letter = 'HS-2026-001') => run<{ releaseTransfer: Record<string, unknown> & { status: string } }>(token, `mutation($id: ID!, $l: String!) { releaseTransfer(id: $id, input: { letterNumber: $l }) { ${TRANSFER} } }`, { id, l: letter });
const receive = (token: string, id: string) => run<{ receiveTransfer: Record<string, unknown> & { status: string } }>(token, `mutation($id: ID!) { receiveTransfer(id: $id, input: { receiptNumber: "R-77" }) { ${TRANSFER} } }`, { id });
const complete = (token: string, id: string) => run<{ completeTransfer: Record<string, unknown> & { status: string } }>(token, `mutation($id: ID!) { completeTransfer(id: $id) { ${TRANSFER} } }`, { id });
const cancel = (token: string, id: string) => run<{ cancelTransfer: { status: string } }>(token, 'mutation($id: ID!) { cancelTransfer(id: $id, reason: "letter lapsed") { status } }', { id });
const readTransfer = (token: string, id: string) => run<{ transfer: Record<string, unknown> & { status: string } }>(token, `query($id: ID!) { transfer(id: $id) { ${TRANSFER} } }`, { id });

beforeAll(async () => {
  t = await startTestStack({ clock: () => now });
  city = await t.token('huangshi', 'CITY_ADMIN');
  haiyangCity = await t.token('haiyang', 'CITY_ADMIN');
  sender = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: SENDER, sub: 'qingshanhu-secretary' });
  receiver = await t.token('huangshi', 'COMMUNITY_ADMIN', { scope: RECEIVER, sub: 'linhong-secretary' });
});
afterAll(() => t.close());

describe('transfer inside the tenant', () => {
  it('goes initiated → released → received → completed with each step audited, and the member and statistics follow', async () => {
    const from = t.unit('huangshi', SENDER);
    const to = t.unit('huangshi', RECEIVER);
    const id = await newMember(sender, from, '转出党员', 301);
    const before = { from: await total(city, from), to: await total(city, to) };

    const started = await initiate(sender, { memberId: id, toUnitId: to, reason: '搬迁', duesPaidUntil: '2026-05' });
    expect(started.errors).toBeUndefined();
    const tr = started.data!.initiateTransfer;
    expect(tr).toMatchObject({ status: 'INITIATED', crossTenant: false, fromUnit: { id: from }, toUnit: { id: to } });

    // The receiving side sees the transfer but not the member, and cannot release it.
    expect((await readTransfer(receiver, tr.id)).data!.transfer).toMatchObject({ status: 'INITIATED', member: null, memberName: '转出党员' });
    expect(codes(await release(receiver, tr.id))).toEqual(['FORBIDDEN']);

    const released = await release(sender, tr.id);
    expect(released.data!.releaseTransfer).toMatchObject({ status: 'RELEASED', letterNumber: 'HS-2026-001', letterIssuedOn: '2026-06-15', letterExpiresOn: '2026-09-14' });
    // Only the receiving organisation receives.
    expect(codes(await receive(sender, tr.id))).toEqual(['FORBIDDEN']);
    const received = await receive(receiver, tr.id);
    expect(received.data!.receiveTransfer).toMatchObject({ status: 'RECEIVED', receiptNumber: 'R-77', receivedOn: '2026-06-15' });

    const done = await complete(receiver, tr.id);
    expect(done.errors).toBeUndefined();
    expect(done.data!.completeTransfer.status).toBe('COMPLETED');
    expect(done.data!.completeTransfer.history).toEqual([
      { from: null, to: 'INITIATED', note: null, recordedBy: 'qingshanhu-secretary' },
      { from: 'INITIATED', to: 'RELEASED', note: 'letter HS-2026-001 valid until 2026-09-14', recordedBy: 'qingshanhu-secretary' },
      { from: 'RELEASED', to: 'RECEIVED', note: 'receipt R-77', recordedBy: 'linhong-secretary' },
      { from: 'RECEIVED', to: 'COMPLETED', note: null, recordedBy: 'linhong-secretary' },
    ]);

    // The member now belongs to the receiving unit: the receiver sees it, the sender no longer does.
    const asReceiver = await run<{ member: { organisation: { id: string } } }>(receiver, 'query($id: ID!) { member(id: $id) { organisation { id } } }', { id });
    expect(asReceiver.data!.member.organisation.id).toBe(to);
    expect(codes(await run(sender, 'query($id: ID!) { member(id: $id) { id } }', { id }))).toEqual(['NOT_FOUND']);
    expect({ from: await total(city, from), to: await total(city, to) }).toEqual({ from: before.from - 1, to: before.to + 1 });
  });

  it('refuses illegal transitions with CONFLICT and bad requests with BAD_USER_INPUT, changing nothing', async () => {
    const from = t.unit('huangshi', SENDER);
    const to = t.unit('huangshi', RECEIVER);
    const id = await newMember(sender, from, '状态检查', 303);
    const applicant = await newMember(sender, from, '申请人', 305, 'APPLICANT');
    expect(codes(await initiate(sender, { memberId: applicant, toUnitId: to }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await initiate(sender, { memberId: id, toUnitId: to, toTenantId: t.tenants.haiyang!.id }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await initiate(sender, { memberId: id, toUnitId: from }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await initiate(sender, { memberId: id, toUnitId: to, duesPaidUntil: '2026-13' }))).toEqual(['BAD_USER_INPUT']);

    const tr = (await initiate(sender, { memberId: id, toUnitId: to })).data!.initiateTransfer;
    expect(codes(await initiate(sender, { memberId: id, toUnitId: to }))).toEqual(['CONFLICT']);
    expect(codes(await receive(receiver, tr.id))).toEqual(['CONFLICT']);
    expect(codes(await complete(sender, tr.id))).toEqual(['CONFLICT']);
    await release(sender, tr.id);
    const again = await release(sender, tr.id);
    expect(codes(again)).toEqual(['CONFLICT']);
    expect(again.errors![0]!.message).toMatch(/RELEASED/);
    await receive(receiver, tr.id);
    expect(codes(await cancel(sender, tr.id))).toEqual(['CONFLICT']);
    expect((await readTransfer(city, tr.id)).data!.transfer.status).toBe('RECEIVED');
  });

  it('an administrator of another street neither sees nor acts on a transfer between units outside its scope', async () => {
    const outsider = await t.token('huangshi', 'STREET_ADMIN', { scope: '中共黄石市委/黄石港区/胜阳港街道' });
    const id = await newMember(sender, t.unit('huangshi', SENDER), '他人转接', 307);
    const tr = (await initiate(sender, { memberId: id, toUnitId: t.unit('huangshi', RECEIVER) })).data!.initiateTransfer;
    expect(codes(await readTransfer(outsider, tr.id))).toEqual(['NOT_FOUND']);
    expect(codes(await release(outsider, tr.id))).toEqual(['NOT_FOUND']);
    const list = await run<{ transfers: { id: string }[] }>(city, 'query($u: ID!) { transfers(unitId: $u) { id } }', { u: t.unit('huangshi', '中共黄石市委/黄石港区/红旗桥街道') });
    expect(list.data!.transfers.map((x) => x.id)).toContain(tr.id);
  });
});

describe('transfer to another tenant', () => {
  let memberId: string;
  let transferId: string;
  beforeAll(async () => {
    memberId = await newMember(city, t.unit('huangshi', SENDER), '跨市转出', 311);
    const tr = await initiate(city, { memberId, toTenantId: t.tenants.haiyang!.id, reason: '调往海阳市工作' });
    expect(tr.errors).toBeUndefined();
    transferId = tr.data!.initiateTransfer.id;
  });

  it('cannot be addressed to an unknown tenant', async () => {
    const other = await newMember(city, t.unit('huangshi', SENDER), '无处可去', 313);
    expect(codes(await initiate(city, { memberId: other, toTenantId: '00000000-0000-4000-8000-000000000000' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('hands over exactly the released member: the receiving tenant sees the letter and nothing else of the sender', async () => {
    expect((await run<{ incomingTransfers: unknown[] }>(haiyangCity, '{ incomingTransfers { id } }', {})).data!.incomingTransfers).toEqual([]);
    const released = await release(city, transferId, 'HS-X-9');
    expect(released.errors).toBeUndefined();
    const inbox = await run<{ incomingTransfers: Record<string, unknown>[] }>(haiyangCity, '{ incomingTransfers { id fromTenantId name stage joinedOn idCardNumber letterNumber letterExpiresOn status acceptedMember { id } } }', {});
    expect(inbox.data!.incomingTransfers).toEqual([{ id: transferId, fromTenantId: t.tenants.huangshi!.id, name: '跨市转出', stage: 'FULL', joinedOn: '2014-07-01',
      idCardNumber: expect.stringMatching(/^4202\*+\d{3}[\dX]$/), letterNumber: 'HS-X-9', letterExpiresOn: '2026-09-14', status: 'PENDING', acceptedMember: null }]);
    // The sender's records stay the sender's.
    expect(codes(await run(haiyangCity, 'query($id: ID!) { member(id: $id) { id } }', { id: memberId }))).toEqual(['NOT_FOUND']);
    expect(codes(await readTransfer(haiyangCity, transferId))).toEqual(['NOT_FOUND']);
    expect((await run<{ incomingTransfers: unknown[] }>(city, '{ incomingTransfers { id } }', {})).data!.incomingTransfers).toEqual([]);

    // The database itself: under haiyang's tenant the members role sees none of huangshi's rows.
    const client = new pg.Client({ connectionString: t.db.appUrl('members') });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('app.tenant_id', $1, true)`, [t.tenants.haiyang!.id]);
      const seen = await client.query<{ members: number; transfers: number; steps: number; inbox: number }>(
        `select (select count(*)::int from members.member where tenant_id = $1) as members, (select count(*)::int from members.transfer) as transfers,
                (select count(*)::int from members.transfer_step) as steps, (select count(*)::int from members.transfer_inbox) as inbox`, [t.tenants.huangshi!.id]);
      expect(seen.rows[0]).toEqual({ members: 0, transfers: 0, steps: 0, inbox: 1 });
      // Nor can it write into another tenant's inbox directly.
      await expect(client.query(`insert into members.transfer_inbox (id, tenant_id, from_tenant_id, from_member_id, from_organisation, name, gender, birth_date, ethnicity, education,
        id_card_cipher, id_card_masked, stage, categories, letter_number, letter_issued_on, letter_expires_on, status, arrived_at)
        values (gen_random_uuid(), $1, $2, gen_random_uuid(), 'x', 'x', 'MALE', '1980-01-01', '汉族', 'BACHELOR', 'c', 'm', 'FULL', '{}', 'L', '2026-01-01', '2026-04-01', 'PENDING', now())`,
      [t.tenants.huangshi!.id, t.tenants.haiyang!.id])).rejects.toThrow(/row-level security/);
      await client.query('rollback');
    } finally {
      await client.end();
    }
  });

  it('the receiving tenant accepts into one of its units; the sender completes and its member becomes TRANSFERRED_OUT, no longer counted', async () => {
    const target = t.unit('haiyang', '中共海阳市委/方圆街道/方圆社区党委');
    const hyBefore = await total(haiyangCity, target);
    const hsBefore = await total(city, t.unit('huangshi', SENDER));
    // A community administrator of haiyang may accept only into its own subtree.
    const otherCommunity = await t.token('haiyang', 'COMMUNITY_ADMIN', { scope: '中共海阳市委/东村街道/东村社区党委' });
    const accept = (token: string) => run<{ acceptIncomingTransfer: { status: string; acceptedMember: { id: string; name: string; stage: string; joinedOn: string; organisation: { id: string }; recruitmentHistory: { note: string }[] } } }>(token,
      'mutation($id: ID!, $u: ID!) { acceptIncomingTransfer(id: $id, input: { unitId: $u, receiptNumber: "HY-R-1" }) { status acceptedMember { id name stage joinedOn organisation { id } recruitmentHistory { note } } } }',
      { id: transferId, u: target });
    expect(codes(await accept(otherCommunity))).toEqual(['NOT_FOUND']);
    const ok = await accept(haiyangCity);
    expect(ok.errors).toBeUndefined();
    const accepted = ok.data!.acceptIncomingTransfer;
    expect(accepted).toMatchObject({ status: 'ACCEPTED', acceptedMember: { name: '跨市转出', stage: 'FULL', joinedOn: '2014-07-01', organisation: { id: target } } });
    expect(accepted.acceptedMember.id).not.toBe(memberId);
    expect(accepted.acceptedMember.recruitmentHistory.at(-1)!.note).toBe('transferred in (letter HS-X-9)');
    expect(codes(await accept(haiyangCity))).toEqual(['CONFLICT']);
    // The ID card number travelled intact (re-encrypted for the receiving tenant).
    const personal = await t.token('haiyang', 'CITY_ADMIN', { scopes: ['members:personal-data'] });
    const card = await run<{ member: { idCardNumber: string } }>(personal, 'query($id: ID!) { member(id: $id) { idCardNumber } }', { id: accepted.acceptedMember.id });
    expect(card.data!.member.idCardNumber).toBe(idCard('1985-03-01', 311));

    expect((await readTransfer(city, transferId)).data!.transfer).toMatchObject({ status: 'RECEIVED', receiptNumber: 'HY-R-1' });
    const done = await complete(city, transferId);
    expect(done.data!.completeTransfer.status).toBe('COMPLETED');
    const left = await run<{ member: { membershipStatus: string; transfers: { status: string }[] } }>(city, 'query($id: ID!) { member(id: $id) { membershipStatus transfers { status } } }', { id: memberId });
    expect(left.data!.member).toEqual({ membershipStatus: 'TRANSFERRED_OUT', transfers: [{ status: 'COMPLETED' }] });
    expect(await total(city, t.unit('huangshi', SENDER))).toBe(hsBefore - 1);
    expect(await total(haiyangCity, target)).toBe(hyBefore + 1);
  });

  it('a member who left for another tenant leaves every figure of the sender: statistics equal a direct aggregate, dues included', async () => {
    // Born 20 June 1985: still 40 on 15 June 2026, 41 five days later; the boundary month is counted from the members themselves.
    const unit = t.unit('huangshi', SENDER);
    const made = await createMember(t.url, city, { orgUnitId: unit, name: '边界月转出', idCardNumber: idCard('1985-06-20', 331), education: 'BACHELOR', stage: 'FULL',
      stageSince: '2015-07-01', joinedOn: '2014-07-01', categories: ['IN_SERVICE'], flags: ['LOST_CONTACT'], reportedInCommunityId: unit });
    expect(made.errors).toBeUndefined();
    const id = made.data!.createMember.id;
    const account = await run(city, 'mutation($id: ID!) { setDuesAccount(memberId: $id, input: { basis: EMPLOYED, monthlyIncome: 8000, fromMonth: "2026-01" }) { id } }', { id });
    expect(account.errors).toBeUndefined();
    const paid = await run(city, 'mutation($id: ID!) { recordDuesPayment(memberId: $id, input: { months: ["2026-01", "2026-02", "2026-03"], paidOn: "2026-03-10" }) { id } }', { id });
    expect(paid.errors).toBeUndefined();
    const units = [unit, t.unit('huangshi', '中共黄石市委/黄石港区/黄石港街道'), t.unit('huangshi', '中共黄石市委/黄石港区'), t.unit('huangshi', '中共黄石市委')];
    await expectExact(t, city, units, TODAY);
    const before = await viaApi(t, city, unit);
    expect(before.duesCollectionRate).not.toBeNull();

    const tr = (await initiate(city, { memberId: id, toTenantId: t.tenants.haiyang!.id })).data!.initiateTransfer;
    expect((await release(city, tr.id, 'HS-X-11')).errors).toBeUndefined();
    const accepted = await run(haiyangCity, 'mutation($id: ID!, $u: ID!) { acceptIncomingTransfer(id: $id, input: { unitId: $u, receiptNumber: "HY-R-2" }) { status } }',
      { id: tr.id, u: t.unit('haiyang', '中共海阳市委/方圆街道/方圆社区党委') });
    expect(accepted.errors).toBeUndefined();
    expect((await complete(city, tr.id)).data!.completeTransfer.status).toBe('COMPLETED');

    await expectExact(t, city, units, TODAY);
    const after = await viaApi(t, city, unit);
    expect(after.total).toBe(before.total - 1);
    expect(after.byAgeBand.reduce((n, b) => n + b.count, 0)).toBe(after.total);
    expect(after.inServiceReportedIn).toBe(before.inServiceReportedIn - 1);
    expect(after.byFlag.find((f) => f.flag === 'LOST_CONTACT')?.count ?? 0).toBe((before.byFlag.find((f) => f.flag === 'LOST_CONTACT')?.count ?? 0) - 1);
  });

  it('cancelling a released hand-over withdraws it from the receiving inbox', async () => {
    const id = await newMember(city, t.unit('huangshi', SENDER), '撤回转接', 317);
    const tr = (await initiate(city, { memberId: id, toTenantId: t.tenants.haiyang!.id })).data!.initiateTransfer;
    await release(city, tr.id, 'HS-X-10');
    expect((await cancel(city, tr.id)).data!.cancelTransfer.status).toBe('CANCELLED');
    const inbox = await run<{ incomingTransfers: { id: string; status: string }[] }>(haiyangCity, '{ incomingTransfers { id status } }', {});
    expect(inbox.data!.incomingTransfers.find((i) => i.id === tr.id)!.status).toBe('WITHDRAWN');
    const accept = await run(haiyangCity, 'mutation($id: ID!, $u: ID!) { acceptIncomingTransfer(id: $id, input: { unitId: $u, receiptNumber: "x" }) { status } }',
      { id: tr.id, u: t.unit('haiyang', '中共海阳市委/方圆街道/方圆社区党委') });
    expect(codes(accept)).toEqual(['CONFLICT']);
  });
});

describe('letter validity with the clock', () => {
  afterAll(() => { now = NOW; });

  it('an expired letter reads EXPIRED, cannot be received or accepted, and can be cancelled; validity is tenant configuration', async () => {
    const to = t.unit('huangshi', RECEIVER);
    const inTenant = (await initiate(sender, { memberId: await newMember(sender, t.unit('huangshi', SENDER), '过期转接', 321), toUnitId: to })).data!.initiateTransfer;
    await release(sender, inTenant.id, 'HS-E-1');
    const cross = (await initiate(city, { memberId: await newMember(city, t.unit('huangshi', SENDER), '过期跨市', 323), toTenantId: t.tenants.haiyang!.id })).data!.initiateTransfer;
    await release(city, cross.id, 'HS-E-2');

    now = new Date('2026-09-14T15:00:00Z'); // 14 September, 23:00 in China: the last valid day
    expect((await readTransfer(receiver, inTenant.id)).data!.transfer.status).toBe('RELEASED');
    now = new Date('2026-09-14T16:30:00Z'); // 15 September in China
    expect((await readTransfer(receiver, inTenant.id)).data!.transfer.status).toBe('EXPIRED');
    const late = await receive(receiver, inTenant.id);
    expect(codes(late)).toEqual(['CONFLICT']);
    expect(late.errors![0]!.message).toMatch(/expired on 2026-09-14/);
    const lateAccept = await run(haiyangCity, 'mutation($id: ID!, $u: ID!) { acceptIncomingTransfer(id: $id, input: { unitId: $u, receiptNumber: "x" }) { status } }',
      { id: cross.id, u: t.unit('haiyang', '中共海阳市委/方圆街道/方圆社区党委') });
    expect(codes(lateAccept)).toEqual(['CONFLICT']);
    expect((await run<{ incomingTransfers: { id: string; status: string }[] }>(haiyangCity, '{ incomingTransfers(status: EXPIRED) { id status } }', {})).data!.incomingTransfers.map((i) => i.id)).toEqual([cross.id]);
    expect((await cancel(sender, inTenant.id)).data!.cancelTransfer.status).toBe('CANCELLED');

    // Six months' validity for letters issued from now on.
    const conf = await run<{ configureMemberProcesses: { letterValidMonths: number } }>(city, 'mutation { configureMemberProcesses(input: { letterValidMonths: 6 }) { letterValidMonths } }', {});
    expect(conf.data!.configureMemberProcesses.letterValidMonths).toBe(6);
    expect(codes(await run(sender, 'mutation { configureMemberProcesses(input: { letterValidMonths: 6 }) { letterValidMonths } }', {}))).toEqual(['FORBIDDEN']);
    const again = (await initiate(sender, { memberId: await newMember(sender, t.unit('huangshi', SENDER), '六个月', 325), toUnitId: to })).data!.initiateTransfer;
    expect((await release(sender, again.id, 'HS-E-3')).data!.releaseTransfer.letterExpiresOn).toBe('2027-03-14');
  });

  it('every new table keeps row-level security forced', async () => {
    const { rows } = await t.db.query<{ relname: string; forced: boolean }>(
      `select c.relname, c.relforcerowsecurity as forced from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'members' and c.relkind = 'r' and c.relname = any($1)`,
      [['transfer', 'transfer_step', 'transfer_inbox', 'process_setting', 'post_category', 'in_service_report', 'in_service_step', 'post_claim', 'activity_record', 'in_service_feedback', 'in_service_evaluation']]);
    expect(rows).toHaveLength(11);
    expect(rows.filter((r) => !r.forced)).toEqual([]);
  });
});
