import { forbidden, hasScope, notFound, requireScope } from '@trellis/platform';
import type { Context } from '../context.ts';
import { decrypt, maskPhone } from '../domain/personalData.ts';
import { ageBandOf, ageOn, localDate } from '../domain/age.ts';
import { probationEnds } from '../domain/recruitment.ts';
import type { MemberRow, StepRow } from '../loaders.ts';

const mayReadPersonalData = (ctx: Context) => hasScope(ctx.principal, 'members:personal-data');

/** Records the unmasked read (fails closed: no audit row, no data), then returns the value. */
async function unmasked(ctx: Context, m: MemberRow, field: string, value: () => string): Promise<string> {
  await ctx.loaders.audit.load(`${m.id}|${field}|${ctx.requestId}`);
  return value();
}

export const queryResolvers = {
  async member(_: unknown, args: { id: string }, ctx: Context) {
    // A member principal may read its own record without the members:read permission.
    if (ctx.principal.memberId !== args.id) requireScope(ctx.principal, 'members:read');
    const row = await ctx.loaders.member.load(args.id);
    if (!row) throw notFound('Member', args.id);
    return row;
  },
};

export const memberResolvers = {
  // Another subgraph's field can lead here (an order's provider, an appraisal's member): the
  // reader needs members:read unless it is their own record, exactly as for Query.member.
  __resolveReference: (ref: { id: string }, ctx: Context) => {
    if (ref.id !== ctx.principal.memberId && !hasScope(ctx.principal, 'members:read')) {
      throw forbidden('Reading member records needs the "members:read" permission, which your token does not carry.');
    }
    return ctx.loaders.member.load(ref.id);
  },
  birthDate: (m: MemberRow) => m.birth_date,
  age: (m: MemberRow, _: unknown, ctx: Context) => ageOn(m.birth_date, localDate(ctx.now())),
  ageBand: (m: MemberRow, _: unknown, ctx: Context) => ageBandOf(ageOn(m.birth_date, localDate(ctx.now()))),
  idCardNumber: (m: MemberRow, _: unknown, ctx: Context) =>
    (mayReadPersonalData(ctx) ? unmasked(ctx, m, 'idCardNumber', () => decrypt(m.id_card_cipher, `${m.tenant_id}:${m.id}`)) : m.id_card_masked),
  phone: (m: MemberRow, _: unknown, ctx: Context) => {
    const phone = m.phone;
    if (phone === null) return null;
    return mayReadPersonalData(ctx) ? unmasked(ctx, m, 'phone', () => phone) : maskPhone(phone);
  },
  personalDataMasked: (_: MemberRow, __: unknown, ctx: Context) => !mayReadPersonalData(ctx),
  joinedOn: (m: MemberRow) => m.joined_on,
  fullOn: (m: MemberRow) => m.full_on,
  probationEndsOn: (m: MemberRow) => (m.stage === 'PROBATIONARY' && m.joined_on ? probationEnds(m.joined_on) : null),
  organisation: (m: MemberRow) => ({ __typename: 'OrgUnit', id: m.org_unit_id }),
  reportedInCommunity: (m: MemberRow) => (m.reported_in_community ? { __typename: 'OrgUnit', id: m.reported_in_community } : null),
  recruitmentHistory: (m: MemberRow, _: unknown, ctx: Context) => ctx.loaders.history.load(m.id),
};

export const recruitmentStepResolvers = {
  from: (s: StepRow) => s.from_stage,
  to: (s: StepRow) => s.to_stage,
  effectiveOn: (s: StepRow) => s.effective_on,
  approvedBy: (s: StepRow) => s.approved_by,
  recordedBy: (s: StepRow) => s.recorded_by,
  recordedAt: (s: StepRow) => s.recorded_at,
};
