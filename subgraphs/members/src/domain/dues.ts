import { badInput } from '@trellis/platform';

/**
 * Party dues (党费). The monthly amount is a share of after-tax monthly income by bracket
 * (defaults: 0.5 % up to ¥3,000, 1 % up to ¥5,000, 1.5 % up to ¥10,000, 2 % above; retirees
 * 0.5 % up to ¥5,000 and 1 % above), configurable per tenant. Payments are per month and in full.
 */
export interface Bracket { above: number; rate: number }
export const DEFAULT_EMPLOYED_BRACKETS: readonly Bracket[] = [
  { above: 0, rate: 0.005 }, { above: 3000, rate: 0.01 }, { above: 5000, rate: 0.015 }, { above: 10000, rate: 0.02 },
];
export const DEFAULT_RETIREE_BRACKETS: readonly Bracket[] = [{ above: 0, rate: 0.005 }, { above: 5000, rate: 0.01 }];

export const DUES_BASES = ['EMPLOYED', 'RETIRED', 'FIXED'] as const;
export type DuesBasis = (typeof DUES_BASES)[number];

/** Brackets must start at 0 and ascend, with rates between 0 and 10 %. */
export function checkBrackets(brackets: readonly Bracket[], field: string): Bracket[] {
  if (brackets.length === 0) throw badInput('Give at least one bracket.', field);
  const sorted = [...brackets].sort((a, b) => a.above - b.above);
  if (sorted[0]!.above !== 0) throw badInput('The first bracket must start at 0 (income above ¥0).', field);
  for (let i = 0; i < sorted.length; i++) {
    const b = sorted[i]!;
    if (!(b.rate >= 0 && b.rate <= 0.1)) throw badInput(`Bracket above ¥${b.above}: the rate must be between 0 and 0.1 (10 %).`, field);
    if (i > 0 && b.above === sorted[i - 1]!.above) throw badInput(`Two brackets start above ¥${b.above}.`, field);
  }
  return sorted;
}

/** Monthly dues in yuan (rounded to the fen) for an after-tax monthly income. */
export function monthlyDues(income: number, brackets: readonly Bracket[]): number {
  let rate = brackets[0]?.rate ?? 0;
  for (const b of brackets) if (income > b.above) rate = b.rate;
  return Math.round(income * rate * 100) / 100;
}

/** `YYYY-MM` of a `YYYY-MM-DD` date. */
export const monthOf = (date: string) => date.slice(0, 7);
const index = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
const fromIndex = (i: number) => `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;

export function checkMonth(month: string, field: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw badInput(`"${month}" is not a month; write it as YYYY-MM, e.g. 2026-03.`, field);
  return month;
}

/** Months from `from` to `to`, both included (`YYYY-MM`). */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let i = index(from); i <= index(to); i++) out.push(fromIndex(i));
  return out;
}

/** Months owed so far this year: from January (or the account's first month) to the current month. */
export function dueMonthsThisYear(fromMonth: string, today: string): string[] {
  const jan = `${today.slice(0, 4)}-01`;
  return monthsBetween(fromMonth > jan ? fromMonth : jan, monthOf(today));
}

/** Unpaid months that are over (before the current month), from the account's first month. */
export function arrears(fromMonth: string, paid: ReadonlySet<string>, today: string): string[] {
  const last = fromIndex(index(monthOf(today)) - 1);
  return monthsBetween(fromMonth, last).filter((m) => !paid.has(m));
}

/**
 * Share of this year's owed member-months that are paid (0..1), null when nothing is owed.
 * `from` counts accounts by first month, `paid` payments by month (the rollup's keys).
 */
export function collectionRate(from: ReadonlyMap<string, number>, paid: ReadonlyMap<string, number>, today: string): number | null {
  const year = today.slice(0, 4);
  const current = monthOf(today);
  let due = 0;
  for (const [month, n] of from) due += n * dueMonthsThisYear(month, today).length;
  if (due === 0) return null;
  let got = 0;
  for (const [month, n] of paid) if (month.startsWith(year) && month <= current) got += n;
  return Math.min(1, got / due);
}

/** The tenant's dues brackets, defaults where it has set none. */
export function duesBrackets(row: { dues_brackets: unknown; retiree_brackets: unknown } | undefined): { employed: Bracket[]; retired: Bracket[] } {
  return {
    employed: (row?.dues_brackets as Bracket[] | null) ?? [...DEFAULT_EMPLOYED_BRACKETS],
    retired: (row?.retiree_brackets as Bracket[] | null) ?? [...DEFAULT_RETIREE_BRACKETS],
  };
}
