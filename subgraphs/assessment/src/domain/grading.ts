import { conflict } from '@trellis/platform';
import type { Grading, GradeBand, Indicator } from './template.ts';

export interface IndicatorPoints { key: string; points: number; vetoed: boolean }

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Total out of 100: each indicator contributes weight × points / max; veto items contribute nothing. */
export function totalScore(indicators: Indicator[], scores: IndicatorPoints[]): { score: number; vetoed: boolean } {
  const byKey = new Map(scores.map((s) => [s.key, s]));
  let score = 0;
  let vetoed = false;
  for (const ind of indicators) {
    const s = byKey.get(ind.key);
    if (!s) continue;
    if (ind.kind === 'VETO') vetoed ||= s.vetoed;
    else score += (ind.weight * Math.min(s.points, ind.max)) / ind.max;
  }
  return { score: round2(score), vetoed };
}

/** Points of a computed indicator: the figure, clamped to 0..max (max is the figure that earns full points). */
export const computedPoints = (ind: Indicator, figure: number | null): number => (figure === null ? 0 : round2(Math.max(0, Math.min(ind.max, figure))));

/**
 * The grade a score earns: its band, capped at the veto grade when a veto item was triggered,
 * and at one band above the previous final grade when promotion is one step at a time.
 */
export function gradeFor(grading: Grading, score: number, vetoed: boolean, previousGrade: string | null): GradeBand {
  const index = (g: string) => grading.bands.findIndex((b) => b.grade === g);
  let i = grading.bands.findIndex((b) => score >= b.minScore);
  if (vetoed) i = Math.max(i, index(grading.vetoGrade));
  if (grading.oneStepPromotion && previousGrade !== null) {
    const prev = index(previousGrade);
    if (prev >= 0) i = Math.max(i, prev - 1);
  }
  return grading.bands[i]!;
}

/** How many of `total` targets may hold a band with a quota (rounded down: a quota is a ceiling). */
export const quotaLimit = (band: GradeBand, total: number): number => (band.maxShare === null ? total : Math.floor(band.maxShare * total + 1e-9));

/** A quota share as people say it: "one third", else a percentage. */
export const shareText = (share: number): string => {
  const words: [number, string][] = [[1 / 2, 'one half'], [1 / 3, 'one third'], [1 / 4, 'one quarter']];
  const w = words.find(([v]) => Math.abs(v - share) < 1e-3);
  return w ? w[1] : `${Math.round(share * 1000) / 10} %`;
};

/**
 * CONFLICT naming the quota when `holding` (this decision included) would exceed what `band`
 * allows among `total` (a decider's targets, a branch's members). Both reviews call this one rule.
 */
export function requireQuota(band: GradeBand, total: number, holding: number, of: string, advice: string): void {
  if (band.maxShare === null) return;
  const limit = quotaLimit(band, total);
  if (holding <= limit) return;
  throw conflict(`The quota for ${band.label} (${band.grade}: at most ${shareText(band.maxShare)} of the ${total} ${of}, i.e. ${limit}) is exceeded: this makes ${holding}. ${advice}`);
}

export const lowestGrade = (grading: Grading): string => grading.bands.at(-1)!.grade;
