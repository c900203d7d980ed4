import { randomUUID } from 'node:crypto';
import { badInput, conflict, isUuid, notFound, requireScope, sqlArray } from '@trellis/platform';
import type { IncomingTransferResolvers, MutationResolvers, QueryResolvers, TransferResolvers } from '../generated/resolvers.ts';
import type { Context } from '../context.ts';
import { blindIndex, decrypt, encrypt, maskIdCard } from '../domain/personalData.ts';
import { checkDocumentNumber, checkDuesMonth, checkTransition, effectiveStatus, letterExpiresOn, type TransferStatus } from '../domain/transfer.ts';
import type { MemberRow } from '../loaders.ts';
import { INBOX_COLUMNS, TRANSFER_COLUMNS, type InboxRow, type TransferRow } from '../processLoaders.ts';
import { refresh, requireSide, requireUnitInScope, today, unitInScope } from './processHelpers.ts';

interface InitiateInput { memberId: string; toUnitId?: string | null; toTenantId?: string | null; reason?: string | null; duesPaidUntil?: string | null }

async function lockTransfer(ctx: Context, id: string): Promise<TransferRow> {
  if (!isUuid(id)) throw notFound('Transfer', id);
  const [t] = await ctx.em.execute<TransferRow[]>(`select ${TRANSFER_COLUMNS} from members.transfer t where t.id = ? for update`, [id]);
  if (!t) throw notFound('Transfer', id);
  return t;
}

async function step(ctx: Context, id: string, from: string | null, to: string, note: string | null = null) {
  await ctx.em.execute('insert into members.transfer_step (transfer_id, from_status, to_status, note, recorded_by, recorded_at) values (?, ?, ?, ?, ?, ?)',
    [id, from, to, note, ctx.principal.sub, ctx.now()]);
}

async function reload(ctx: Context, id: string): Promise<TransferRow> {
  refresh(ctx);
  const t = await ctx.loaders.transfer.load(id);
  if (!t) throw notFound('Transfer', id);
  return t;
}

const isDuplicateIdCard = (e: unknown) => /member_id_card/.test(String((e as { message?: string })?.message ?? '')) || /member_id_card/.test(String((e as { cause?: { message?: string } })?.cause?.message ?? ''));

export const transferQueries = {
  async transfer(_: unknown, { id }: { id: string }, ctx: Context) {
    requireScope(ctx.principal, 'members:read');
    const t = isUuid(id) ? await ctx.loaders.transfer.load(id) : null;
    if (!t) throw notFound('Transfer', id);
    return t;
  },
  async transfers(_: unknown, { unitId, status }: { unitId: string; status?: TransferStatus | null }, ctx: Context) {
    requireScope(ctx.principal, 'members:read');
    await requireUnitInScope(ctx, unitId);
    const rows = await ctx.em.execute<TransferRow[]>(
      `select ${TRANSFER_COLUMNS} from members.transfer t
        where exists (select 1 from members.unit_path u, members.unit_path root
                       where root.unit_id = ? and u.unit_id in (t.from_unit_id, t.to_unit_id) and u.path <@ root.path)
        order by t.initiated_at desc, t.id limit 500`, [unitId]);
    const d = today(ctx);
    return status ? rows.filter((t) => effectiveStatus(t, d) === status) : rows;
  },
  async incomingTransfers(_: unknown, { status }: { status?: string | null }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const rows = await ctx.em.execute<InboxRow[]>(`select ${INBOX_COLUMNS} from members.transfer_inbox i order by i.arrived_at desc, i.id limit 500`, []);
    const d = today(ctx);
    return status ? rows.filter((i) => inboxStatus(i, d) === status) : rows;
  },
} satisfies Partial<QueryResolvers>;

const inboxStatus = (i: InboxRow, d: string) => (i.status === 'PENDING' && d > i.letter_expires_on ? 'EXPIRED' : i.status);

export const transferMutations = {
  async initiateTransfer(_: unknown, { input }: { input: InitiateInput }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    if (!isUuid(input.memberId)) throw notFound('Member', input.memberId);
    const [m] = await ctx.em.execute<MemberRow[]>(`select m.id::text, m.org_unit_id::text, m.name, m.stage, m.membership_status from members.member m where m.id = ? for update`, [input.memberId]);
    if (!m) throw notFound('Member', input.memberId);
    if (m.membership_status !== 'ACTIVE') throw conflict('The member has already been transferred to another tenant.');
    if (m.stage !== 'PROBATIONARY' && m.stage !== 'FULL') throw badInput(`Only Party members (PROBATIONARY or FULL) transfer their organisation relation; this person is ${m.stage}.`, 'input.memberId');
    if (!input.toUnitId === !input.toTenantId) throw badInput('Give exactly one of toUnitId (a unit of this tenant) and toTenantId (another county or city).', 'input.toUnitId');
    if (input.toUnitId) {
      await unitInScope(ctx, input.toUnitId); // NOT_FOUND when the unit is not one of this tenant's
      if (input.toUnitId === m.org_unit_id) throw badInput('The member already belongs to that unit.', 'input.toUnitId');
    } else {
      const to = input.toTenantId!;
      if (!isUuid(to) || to === ctx.principal.tenantId) throw badInput('toTenantId must be another tenant\'s id; use toUnitId inside this tenant.', 'input.toTenantId');
      const [k] = await ctx.em.execute<{ known: boolean }[]>('select members.tenant_known(?::uuid) as known', [to]);
      if (!k?.known) throw badInput(`Tenant ${to} is not served by this platform; transfer on paper instead.`, 'input.toTenantId');
    }
    const open = await ctx.em.execute<{ id: string; status: string }[]>(
      `select id::text, status from members.transfer where member_id = ? and status in ('INITIATED', 'RELEASED', 'RECEIVED')`, [m.id]);
    if (open[0]) throw conflict(`The member already has an open transfer (${open[0].id}, ${open[0].status}); complete or cancel it first.`);
    const id = randomUUID();
    await ctx.em.execute(
      `insert into members.transfer (id, member_id, member_name, from_unit_id, to_unit_id, to_tenant_id, status, reason, dues_paid_until, initiated_at)
       values (?, ?, ?, ?, ?, ?, 'INITIATED', ?, ?, ?)`,
      [id, m.id, m.name, m.org_unit_id, input.toUnitId ?? null, input.toTenantId ?? null, input.reason?.trim() || null, checkDuesMonth(input.duesPaidUntil, today(ctx)), ctx.now()]);
    await step(ctx, id, null, 'INITIATED');
    return reload(ctx, id);
  },

  async releaseTransfer(_: unknown, { id, input }: { id: string; input: { letterNumber: string } }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const t = await lockTransfer(ctx, id);
    await requireSide(ctx, t.from_unit_id, 'sending organisation');
    const to = checkTransition(effectiveStatus(t, today(ctx)), 'release', t.letter_expires_on);
    const letter = checkDocumentNumber(input.letterNumber, 'input.letterNumber', 'letter');
    const issued = today(ctx);
    const expires = letterExpiresOn(issued, (await ctx.loaders.settings()).letterValidMonths);
    await ctx.em.execute('update members.transfer set status = ?, letter_number = ?, letter_issued_on = ?, letter_expires_on = ? where id = ?', [to, letter, issued, expires, id]);
    await step(ctx, id, t.status, to, `letter ${letter} valid until ${expires}`);
    // Another tenant: exactly this member's record and the letter go to that tenant's inbox.
    if (t.to_tenant_id) await ctx.em.execute('select members.hand_over_member(?::uuid, ?::timestamptz)', [id, ctx.now()]);
    return reload(ctx, id);
  },

  async receiveTransfer(_: unknown, { id, input }: { id: string; input: { receiptNumber: string } }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const t = await lockTransfer(ctx, id);
    if (!t.to_unit_id) throw badInput('A transfer to another tenant is received by that tenant with acceptIncomingTransfer.', 'id');
    await requireSide(ctx, t.to_unit_id, 'receiving organisation');
    const to = checkTransition(effectiveStatus(t, today(ctx)), 'receive', t.letter_expires_on);
    const receipt = checkDocumentNumber(input.receiptNumber, 'input.receiptNumber', 'receipt');
    await ctx.em.execute('update members.transfer set status = ?, receipt_number = ?, received_on = ? where id = ?', [to, receipt, today(ctx), id]);
    await step(ctx, id, t.status, to, `receipt ${receipt}`);
    return reload(ctx, id);
  },

  async completeTransfer(_: unknown, { id }: { id: string }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const t = await lockTransfer(ctx, id);
    // Inside the tenant either side completes; a hand-over to another tenant is completed by the sender.
    if (t.to_tenant_id) await requireSide(ctx, t.from_unit_id, 'sending organisation');
    const to = checkTransition(effectiveStatus(t, today(ctx)), 'complete', t.letter_expires_on);
    await ctx.em.execute('update members.transfer set status = ?, completed_at = ? where id = ?', [to, ctx.now(), id]);
    await step(ctx, id, t.status, to);
    if (t.to_unit_id) {
      // Statistics and scope follow: the member's unit (and path) become the receiving unit's.
      await ctx.em.execute('select members.move_transferred_member(?::uuid)', [id]);
    } else {
      await ctx.em.execute(`update members.member set membership_status = 'TRANSFERRED_OUT', transferred_out_at = ?, updated_at = ? where id = ?`, [ctx.now(), ctx.now(), t.member_id]);
      // A member who left the tenant no longer serves in its communities.
      await ctx.em.execute(
        `insert into members.in_service_step (report_id, from_status, to_status, note, recorded_by, recorded_at)
         select id, status, 'ENDED', 'transferred to another tenant', ?, ? from members.in_service_report where member_id = ? and status <> 'ENDED'`,
        [ctx.principal.sub, ctx.now(), t.member_id]);
      await ctx.em.execute(`update members.in_service_report set status = 'ENDED', ended_on = ?, end_reason = 'transferred to another tenant' where member_id = ? and status <> 'ENDED'`,
        [today(ctx), t.member_id]);
    }
    return reload(ctx, id);
  },

  async cancelTransfer(_: unknown, { id, reason }: { id: string; reason?: string | null }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const t = await lockTransfer(ctx, id);
    await requireSide(ctx, t.from_unit_id, 'sending organisation');
    const to = checkTransition(effectiveStatus(t, today(ctx)), 'cancel', t.letter_expires_on);
    if (t.to_tenant_id && t.status === 'RELEASED') {
      const [w] = await ctx.em.execute<{ done: boolean }[]>('select members.withdraw_handover(?::uuid) as done', [id]);
      if (!w?.done) throw conflict('The receiving tenant has already accepted the member; the transfer can no longer be cancelled.');
    }
    await ctx.em.execute('update members.transfer set status = ? where id = ?', [to, id]);
    await step(ctx, id, t.status, to, reason?.trim() || null);
    return reload(ctx, id);
  },

  async acceptIncomingTransfer(_: unknown, { id, input }: { id: string; input: { unitId: string; receiptNumber: string } }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    if (!isUuid(id)) throw notFound('IncomingTransfer', id);
    const [i] = await ctx.em.execute<InboxRow[]>(`select ${INBOX_COLUMNS} from members.transfer_inbox i where i.id = ? for update`, [id]);
    if (!i) throw notFound('IncomingTransfer', id);
    const status = inboxStatus(i, today(ctx));
    if (status === 'EXPIRED') throw conflict(`The transfer letter expired on ${i.letter_expires_on}; the member cannot be accepted. Ask the sending organisation for a new letter.`);
    if (status !== 'PENDING') throw conflict(`The incoming transfer is ${status}; only a PENDING one can be accepted.`);
    await requireUnitInScope(ctx, input.unitId);
    const receipt = checkDocumentNumber(input.receiptNumber, 'input.receiptNumber', 'receipt');
    const tenant = ctx.principal.tenantId;
    const memberId = randomUUID();
    const number = decrypt(i.id_card_cipher, `${i.from_tenant_id}:${i.from_member_id}`);
    try {
      await ctx.em.execute(
        `insert into members.member (id, tenant_id, org_unit_id, name, gender, birth_date, ethnicity, education, phone, id_card_cipher, id_card_masked,
           id_card_hash, stage, applied_on, activist_on, target_on, joined_on, full_on, categories, org_path, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::text[], '', ?, ?)`,
        [memberId, tenant, input.unitId, i.name, i.gender, i.birth_date, i.ethnicity, i.education, i.phone, encrypt(number, `${tenant}:${memberId}`),
          maskIdCard(number), blindIndex(tenant, number), i.stage, i.applied_on, i.activist_on, i.target_on, i.joined_on, i.full_on, sqlArray(i.categories), ctx.now(), ctx.now()]);
    } catch (e) {
      if (isDuplicateIdCard(e)) throw conflict('A member with this ID card number is already registered in this tenant.');
      throw e;
    }
    await ctx.em.execute(
      `insert into members.recruitment_step (member_id, from_stage, to_stage, effective_on, approved_by, note, recorded_by, recorded_at) values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [memberId, i.stage, i.stage, today(ctx), i.from_organisation, `transferred in (letter ${i.letter_number})`, ctx.principal.sub, ctx.now()]);
    await ctx.em.execute(`update members.transfer_inbox set status = 'ACCEPTED', accepted_member_id = ?, accepted_unit_id = ?, receipt_number = ?, received_on = ? where id = ?`,
      [memberId, input.unitId, receipt, today(ctx), id]);
    const [ack] = await ctx.em.execute<{ done: boolean }[]>('select members.acknowledge_handover(?::uuid, ?, ?::timestamptz) as done', [id, `${ctx.principal.tenantSlug}:${ctx.principal.sub}`, ctx.now()]);
    if (!ack?.done) throw conflict('The sending tenant no longer awaits this member (the transfer was cancelled); nothing was accepted.');
    refresh(ctx);
    return (await ctx.loaders.inbox.load(id))!;
  },
} satisfies Partial<MutationResolvers>;

export const transferResolvers = {
  member: (t: TransferRow, _: unknown, ctx: Context) => ctx.loaders.member.load(t.member_id),
  memberName: (t: TransferRow) => t.member_name,
  fromUnit: (t: TransferRow) => ({ __typename: 'OrgUnit', id: t.from_unit_id }),
  toUnit: (t: TransferRow) => (t.to_unit_id ? { __typename: 'OrgUnit', id: t.to_unit_id } : null),
  toTenantId: (t: TransferRow) => t.to_tenant_id,
  crossTenant: (t: TransferRow) => t.to_tenant_id !== null,
  status: (t: TransferRow, _: unknown, ctx: Context) => effectiveStatus(t, today(ctx)),
  duesPaidUntil: (t: TransferRow) => t.dues_paid_until,
  letterNumber: (t: TransferRow) => t.letter_number,
  letterIssuedOn: (t: TransferRow) => t.letter_issued_on,
  letterExpiresOn: (t: TransferRow) => t.letter_expires_on,
  receiptNumber: (t: TransferRow) => t.receipt_number,
  receivedOn: (t: TransferRow) => t.received_on,
  history: (t: TransferRow, _: unknown, ctx: Context) => ctx.loaders.transferHistory.load(t.id),
} satisfies TransferResolvers;

export const incomingTransferResolvers = {
  fromTenantId: (i: InboxRow) => i.from_tenant_id,
  fromOrganisation: (i: InboxRow) => i.from_organisation,
  birthDate: (i: InboxRow) => i.birth_date,
  joinedOn: (i: InboxRow) => i.joined_on,
  idCardNumber: (i: InboxRow) => i.id_card_masked,
  letterNumber: (i: InboxRow) => i.letter_number,
  letterExpiresOn: (i: InboxRow) => i.letter_expires_on,
  duesPaidUntil: (i: InboxRow) => i.dues_paid_until,
  status: (i: InboxRow, _: unknown, ctx: Context) => inboxStatus(i, today(ctx)),
  acceptedMember: (i: InboxRow, _: unknown, ctx: Context) => (i.accepted_member_id ? ctx.loaders.member.load(i.accepted_member_id) : null),
} satisfies IncomingTransferResolvers;
