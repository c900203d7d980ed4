/** Age bands used by statistics and filters; always derived from birth dates at read time, never stored. */
export const AGE_BANDS = [
  { band: 'UP_TO_30', min: 0, max: 30 },
  { band: 'FROM_31_TO_40', min: 31, max: 40 },
  { band: 'FROM_41_TO_50', min: 41, max: 50 },
  { band: 'FROM_51_TO_60', min: 51, max: 60 },
  { band: 'FROM_61_TO_70', min: 61, max: 70 },
  { band: 'OVER_70', min: 71, max: 200 },
] as const;
export type AgeBand = (typeof AGE_BANDS)[number]['band'];

// One formatter for the process: toLocaleDateString with options builds a new one on every call,
// which showed as several percent of the members service's CPU per dashboard request.
const CHINA_DATE = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai' });

/** Today's date in the tenant's calendar (China Standard Time) from the injectable clock. */
export const localDate = (now: Date) => CHINA_DATE.format(now);

/** Whole years between a birth date and `today` (both `YYYY-MM-DD`). */
export function ageOn(birthDate: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return today.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

export const ageBandOf = (age: number): AgeBand => AGE_BANDS.find((b) => age >= b.min && age <= b.max)?.band ?? 'OVER_70';

const minusYears = (date: string, years: number) => `${String(Number(date.slice(0, 4)) - years).padStart(4, '0')}${date.slice(4)}`;

/** Birth dates in a band on `today`: born after `after` and on or before `onOrBefore`. */
export function birthRange(band: AgeBand, today: string): { after: string; onOrBefore: string } {
  const b = AGE_BANDS.find((x) => x.band === band)!;
  // 29 February minus whole years may not exist: use 28 February (same ages as PostgreSQL's age()).
  const norm = (d: string) => (d.endsWith('02-29') && !isLeap(Number(d.slice(0, 4))) ? `${d.slice(0, 4)}-02-28` : d);
  return { after: norm(minusYears(today, b.max + 1)), onOrBefore: norm(minusYears(today, b.min)) };
}
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** SQL expression for the age band of `m.birth_date` on `t.today` (a date column in scope). */
export const AGE_BAND_SQL = `case ${AGE_BANDS.map((b) => `when date_part('year', age(t.today, m.birth_date)) <= ${b.max} then '${b.band}'`).join(' ')} end`;
