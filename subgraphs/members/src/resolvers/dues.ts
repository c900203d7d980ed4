import { badInput, conflict, isUuid, notFound, requireScope, sqlArray } from '@trellis/platform';
import { afterWrite, type Context } from '../context.ts';
import { localDate } from '../domain/age.ts';
import { arrears, checkMonth, dueMonthsThisYear, duesBrackets, monthOf, monthlyDues, type DuesBasis } from '../domain/dues.ts';
import type { DuesAccountRow, DuesPaymentRow, MemberRow } from '../loaders.ts';

/** What MemberDues resolves from: the account, every payment, and today. */
export interface DuesView { account: DuesAccountRow; payments: DuesPaymentRow[]; today: string }

interface AccountInput { basis: DuesBasis; monthlyIncome?: number | null; monthlyAmount?: number | null; fromMonth: string }
interface PaymentInput { months: string[]; paidOn: Date | string }

const day = (v: Date | string): string => (v instanceof Date ? v.toISOString().slice(0, 10) : v);
const money = (n: number) => Math.round(n * 100) / 100;

/** The member locked for this change, or NOT_FOUND; dues are owed by Party members only. */
async function lockPartyMember(ctx: Context, id: string): Promise<{ stage: string; joined_on: string | null }> {
  if (!isUuid(id)) throw notFound('Member', id);
  const rows = await ctx.em.execute<{ stage: string; joined_on: string | null }[]>('select stage, joined_on::text from members.member where id = ? for update', [id]);
  if (!rows[0]) throw notFound('Member', id);
  if (rows[0].stage !== 'PROBATIONARY' && rows[0].stage !== 'FULL') throw conflict(`Dues are owed by Party members (probationary or full); this person is at stage ${rows[0].stage}.`);
  return rows[0];
}

async function reload(ctx: Context, id: string): Promise<MemberRow> {
  afterWrite(ctx);
  const row = await ctx.loaders.member.load(id);
  if (!row) throw notFound('Member', id);
  return row;
}

export const duesMemberResolvers = {
  async dues(m: MemberRow, _: unknown, ctx: Context): Promise<DuesView | null> {
    const [account, payments] = await Promise.all([ctx.loaders.duesAccount.load(m.id), ctx.loaders.duesPayments.load(m.id)]);
    return account ? { account, payments, today: localDate(ctx.now()) } : null;
  },
};

export const memberDuesResolvers = {
  basis: (d: DuesView) => d.account.basis,
  monthlyIncome: (d: DuesView) => d.account.monthly_income,
  monthlyAmount: (d: DuesView) => d.account.monthly_amount,
  fromMonth: (d: DuesView) => d.account.from_month,
  arrears: (d: DuesView) => arrears(d.account.from_month, new Set(d.payments.map((p) => p.month)), d.today),
  arrearsMonths: (d: DuesView) => arrears(d.account.from_month, new Set(d.payments.map((p) => p.month)), d.today).length,
  arrearsAmount: (d: DuesView) => money(arrears(d.account.from_month, new Set(d.payments.map((p) => p.month)), d.today).length * d.account.monthly_amount),
  collectionRate: (d: DuesView) => {
    if (d.account.monthly_amount <= 0) return null;
    const due = dueMonthsThisYear(d.account.from_month, d.today);
    if (due.length === 0) return null;
    const paid = new Set(d.payments.map((p) => p.month));
    return due.filter((m) => paid.has(m)).length / due.length;
  },
  payments: (d: DuesView, args: { year?: number | null }) => (args.year == null ? d.payments : d.payments.filter((p) => p.month.startsWith(`${args.year}-`))),
};

export const duesPaymentResolvers = {
  paidOn: (p: DuesPaymentRow) => p.paid_on,
  recordedBy: (p: DuesPaymentRow) => p.recorded_by,
};

export const duesMutationResolvers = {
  async setDuesAccount(_: unknown, { memberId, input }: { memberId: string; input: AccountInput }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const fromMonth = checkMonth(input.fromMonth, 'input.fromMonth');
    const member = await lockPartyMember(ctx, memberId);
    if (member.joined_on && fromMonth < monthOf(member.joined_on)) throw badInput(`Dues start at admission (${monthOf(member.joined_on)}) at the earliest.`, 'input.fromMonth');
    let amount: number;
    let income: number | null = null;
    if (input.basis === 'FIXED') {
      if (input.monthlyAmount == null || !(input.monthlyAmount >= 0 && input.monthlyAmount <= 100000)) throw badInput('A FIXED account needs monthlyAmount in yuan (0 or more).', 'input.monthlyAmount');
      if (input.monthlyIncome != null) throw badInput('A FIXED account takes monthlyAmount, not monthlyIncome.', 'input.monthlyIncome');
      amount = money(input.monthlyAmount);
    } else {
      if (input.monthlyIncome == null || !(input.monthlyIncome >= 0 && input.monthlyIncome <= 10_000_000)) throw badInput(`An ${input.basis} account needs monthlyIncome (after-tax, in yuan).`, 'input.monthlyIncome');
      if (input.monthlyAmount != null) throw badInput(`An ${input.basis} account's amount follows from the brackets; give monthlyIncome only, or use FIXED.`, 'input.monthlyAmount');
      const b = duesBrackets(await ctx.loaders.ledgerSettings.load('tenant'));
      income = input.monthlyIncome;
      amount = monthlyDues(income, input.basis === 'RETIRED' ? b.retired : b.employed);
    }
    const earliestPaid = await ctx.em.execute<{ month: string | null }[]>(`select to_char(min(month), 'YYYY-MM') as month from members.dues_payment where member_id = ?`, [memberId]);
    const first = earliestPaid[0]?.month;
    if (first && first < fromMonth) throw conflict(`Dues were already paid for ${first}; the account cannot start after a month paid for.`);
    await ctx.em.execute(
      `insert into members.dues_account (tenant_id, member_id, org_path, monthly_income, monthly_amount, from_month, basis, updated_by)
       values (platform.current_tenant(), ?, '', ?, ?, ?::date, ?, ?)
       on conflict (tenant_id, member_id) do update set monthly_income = excluded.monthly_income, monthly_amount = excluded.monthly_amount,
         from_month = excluded.from_month, basis = excluded.basis, updated_by = excluded.updated_by, updated_at = now()`,
      [memberId, income, amount, `${fromMonth}-01`, input.basis, ctx.principal.sub],
    );
    return reload(ctx, memberId);
  },

  async recordDuesPayment(_: unknown, { memberId, input }: { memberId: string; input: PaymentInput }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const today = localDate(ctx.now());
    const paidOn = day(input.paidOn);
    if (paidOn > today) throw badInput(`paidOn ${paidOn} is in the future.`, 'input.paidOn');
    if (input.months.length === 0 || input.months.length > 120) throw badInput('Give 1 to 120 months.', 'input.months');
    const months = [...new Set(input.months.map((m, i) => checkMonth(m, `input.months.${i}`)))].sort();
    await lockPartyMember(ctx, memberId);
    const account = (await ctx.em.execute<{ monthly_amount: number; from_month: string }[]>(
      `select monthly_amount::float8 as monthly_amount, to_char(from_month, 'YYYY-MM') as from_month from members.dues_account where member_id = ?`, [memberId]))[0];
    if (!account) throw conflict('The member has no dues account yet; set one up with setDuesAccount first.');
    if (account.monthly_amount <= 0) throw conflict('The member is exempt from dues (monthly amount 0); nothing can be paid.');
    if (months[0]! < account.from_month) throw badInput(`Dues are owed from ${account.from_month}; ${months[0]} is before that.`, 'input.months');
    const lastAllowed = `${today.slice(0, 4)}-12`;
    if (months.at(-1)! > lastAllowed) throw badInput(`Dues can be paid in advance up to ${lastAllowed}; ${months.at(-1)} is later.`, 'input.months');
    const already = await ctx.em.execute<{ month: string }[]>(
      `select to_char(month, 'YYYY-MM') as month from members.dues_payment where member_id = ? and month = any(?::date[]) order by month`,
      [memberId, sqlArray(months.map((m) => `${m}-01`))]);
    if (already.length) throw conflict(`Dues for ${already.map((a) => a.month).join(', ')} are already paid.`);
    await ctx.em.execute(
      `insert into members.dues_payment (tenant_id, member_id, month, amount, paid_on, recorded_by)
       select platform.current_tenant(), ?, m, ?, ?, ? from unnest(?::date[]) as m`,
      [memberId, account.monthly_amount, paidOn, ctx.principal.sub, sqlArray(months.map((m) => `${m}-01`))],
    );
    return reload(ctx, memberId);
  },
};
