import { badInput, conflict } from '@trellis/platform';

/**
 * In-service members reporting in (双报到): REPORTED → ASSIGNED (grid post) → SERVING (first contact or
 * activity recorded) → ENDED; quarterly feedback to the employer and an annual evaluation on the way.
 */
export type InServiceStatus = 'REPORTED' | 'ASSIGNED' | 'SERVING' | 'ENDED';
export type Grade = 'EXCELLENT' | 'QUALIFIED' | 'BASICALLY_QUALIFIED' | 'UNQUALIFIED';

const ALLOWED: Record<string, { from: readonly InServiceStatus[]; why: string }> = {
  assign: { from: ['REPORTED'], why: 'only a REPORTED member can be assigned to a grid post' },
  record: { from: ['ASSIGNED', 'SERVING'], why: 'contacts and activities are recorded once the member is assigned to a grid post, and not after the report ended' },
  feedback: { from: ['ASSIGNED', 'SERVING', 'ENDED'], why: 'feedback follows an assignment to a grid post' },
  evaluate: { from: ['ASSIGNED', 'SERVING', 'ENDED'], why: 'a member is evaluated after being assigned to a grid post' },
  end: { from: ['REPORTED', 'ASSIGNED', 'SERVING'], why: 'the report has already ended' },
  claim: { from: ['REPORTED', 'ASSIGNED', 'SERVING'], why: 'posts are claimed while reported in' },
};

/** CONFLICT naming the current state when an action is not allowed in it. */
export function checkAction(status: InServiceStatus, action: keyof typeof ALLOWED): void {
  const a = ALLOWED[action]!;
  if (!a.from.includes(status)) throw conflict(`The in-service report is ${status}: ${a.why}.`);
}

/** A date input that must not lie in the future. */
export function notFuture(on: string, today: string, field: string): string {
  if (on > today) throw badInput(`The date ${on} is in the future; record it once it has happened.`, field);
  return on;
}

/** First and last day of a quarter. */
export function quarterRange(year: number, quarter: number): { from: string; to: string } {
  if (!Number.isInteger(quarter) || quarter < 1 || quarter > 4) throw badInput('quarter must be 1, 2, 3 or 4.', 'quarter');
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badInput('year must be a calendar year such as 2026.', 'year');
  const startMonth = (quarter - 1) * 3 + 1;
  const end = new Date(Date.UTC(year, startMonth + 2, 0)).toISOString().slice(0, 10);
  return { from: `${year}-${String(startMonth).padStart(2, '0')}-01`, to: end };
}

export const quarterOf = (date: string) => Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1;

/**
 * Grades at or above QUALIFIED need the tenant's minimum activities for the year (4 by default);
 * a member below it can only be BASICALLY_QUALIFIED or UNQUALIFIED.
 */
export function checkGrade(grade: Grade, activities: number, minimum: number): void {
  if ((grade === 'EXCELLENT' || grade === 'QUALIFIED') && activities < minimum) {
    throw badInput(`${grade} needs at least ${minimum} activities in the year; the member has ${activities}. Grade BASICALLY_QUALIFIED or UNQUALIFIED, or record the missing activities first.`, 'grade');
  }
}

/** Counts of a set of activity records. */
export function summarise(records: readonly { kind: string; hours: number; resident_rating: number | null }[]) {
  const rated = records.filter((r) => r.resident_rating !== null);
  return {
    contacts: records.filter((r) => r.kind === 'CONTACT').length,
    activities: records.filter((r) => r.kind === 'ACTIVITY').length,
    hours: Math.round(records.reduce((s, r) => s + r.hours, 0) * 10) / 10,
    averageRating: rated.length ? Math.round((rated.reduce((s, r) => s + r.resident_rating!, 0) / rated.length) * 100) / 100 : null,
  };
}
