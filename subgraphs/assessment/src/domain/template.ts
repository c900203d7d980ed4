import { badInput } from '@trellis/platform';
import { METRIC_KEYS, type MetricKey } from '../metrics.ts';

export type IndicatorKind = 'MANUAL' | 'YES_NO' | 'COMPUTED' | 'VETO';
export type Period = 'YEAR' | 'HALF_YEAR' | 'QUARTER';
export interface Indicator { key: string; name: string; kind: IndicatorKind; weight: number; max: number; metric: MetricKey | null }
export interface Dimension { key: string; name: string; weight: number; indicators: Indicator[] }
export interface GradeBand { grade: string; label: string; minScore: number; stars: number | null; maxShare: number | null }
export interface Grading { bands: GradeBand[]; vetoGrade: string; oneStepPromotion: boolean; rectificationDays: number }

/** DOMAIN.md §5 star rating: ≥90 five stars (at most 10 %), 80–89 four, 70–79 three, 60–69 two, below one. */
export const DEFAULT_BANDS: GradeBand[] = [
  { grade: 'FIVE_STAR', label: '五星', minScore: 90, stars: 5, maxShare: 0.1 },
  { grade: 'FOUR_STAR', label: '四星', minScore: 80, stars: 4, maxShare: null },
  { grade: 'THREE_STAR', label: '三星', minScore: 70, stars: 3, maxShare: null },
  { grade: 'TWO_STAR', label: '二星', minScore: 60, stars: 2, maxShare: null },
  { grade: 'ONE_STAR', label: '一星', minScore: 0, stars: 1, maxShare: null },
];

/** Pay coefficients when the tenant has configured none. */
export const DEFAULT_PAY_COEFFICIENTS: Record<string, number> = { FIVE_STAR: 1.2, FOUR_STAR: 1.1, THREE_STAR: 1.0, TWO_STAR: 0.9, ONE_STAR: 0.8 };

const KEY = /^[A-Za-z0-9_.-]{1,60}$/;
const text = (v: string, field: string, max = 100) => {
  const t = v.trim();
  if (t.length < 1 || t.length > max) throw badInput(`${field} must have 1 to ${max} characters.`, field);
  return t;
};

export interface IndicatorInput { key: string; name: string; kind: IndicatorKind; weight: number; max: number; metric?: MetricKey | null }
export interface DimensionInput { key: string; name: string; indicators: IndicatorInput[] }
export interface GradingInput { bands: { grade: string; label: string; minScore: number; stars?: number | null; maxShare?: number | null }[]; vetoGrade?: string | null; oneStepPromotion?: boolean | null; rectificationDays?: number | null }

/** Validates a template's dimensions: unique keys, sensible maxima, metrics on computed indicators, weights adding to 100. */
export function checkDimensions(input: DimensionInput[]): Dimension[] {
  if (input.length === 0) throw badInput('A template needs at least one dimension.', 'input.dimensions');
  const keys = new Set<string>();
  const uniqueKey = (k: string, field: string) => {
    if (!KEY.test(k)) throw badInput(`Key "${k}" may hold only letters, digits, "_", "." and "-" (1 to 60).`, field);
    if (keys.has(k)) throw badInput(`Key "${k}" is used twice; every dimension and indicator needs its own key.`, field);
    keys.add(k);
  };
  let total = 0;
  const dims = input.map((d, i) => {
    uniqueKey(d.key, `input.dimensions.${i}.key`);
    if (d.indicators.length === 0) throw badInput(`Dimension "${d.name}" has no indicators.`, `input.dimensions.${i}.indicators`);
    const indicators = d.indicators.map((ind, j): Indicator => {
      const field = `input.dimensions.${i}.indicators.${j}`;
      uniqueKey(ind.key, `${field}.key`);
      if (ind.kind === 'VETO') {
        if (ind.weight !== 0) throw badInput(`Veto item "${ind.name}" carries no weight (it caps the grade instead); give weight 0.`, `${field}.weight`);
      } else if (!(ind.weight > 0 && ind.weight <= 100)) throw badInput(`Indicator "${ind.name}" needs a weight above 0 and at most 100.`, `${field}.weight`);
      if (!(ind.max > 0 && Number.isFinite(ind.max))) throw badInput(`Indicator "${ind.name}" needs a maximum above 0.`, `${field}.max`);
      if (ind.kind === 'COMPUTED') {
        if (!ind.metric || !METRIC_KEYS.includes(ind.metric)) throw badInput(`Computed indicator "${ind.name}" needs a metric.`, `${field}.metric`);
      } else if (ind.metric) throw badInput(`Only computed indicators read a metric ("${ind.name}" is ${ind.kind}).`, `${field}.metric`);
      total += ind.weight;
      return { key: ind.key, name: text(ind.name, `${field}.name`), kind: ind.kind, weight: ind.weight, max: ind.max, metric: ind.kind === 'COMPUTED' ? ind.metric! : null };
    });
    return { key: d.key, name: text(d.name, `input.dimensions.${i}.name`), weight: indicators.reduce((s, x) => s + x.weight, 0), indicators };
  });
  if (Math.abs(total - 100) > 1e-6) throw badInput(`The indicators' weights add up to ${Math.round(total * 100) / 100}; they must add up to 100.`, 'input.dimensions');
  return dims;
}

/** Validates grading rules: bands strictly descending, the lowest starting at 0, quotas between 0 and 1. */
export function checkGrading(input: GradingInput | null | undefined): Grading {
  const bands: GradeBand[] = input ? input.bands.map((b) => ({ grade: b.grade, label: b.label, minScore: b.minScore, stars: b.stars ?? null, maxShare: b.maxShare ?? null })) : DEFAULT_BANDS;
  if (bands.length < 2) throw badInput('Grading needs at least two bands.', 'input.grading.bands');
  const grades = new Set<string>();
  bands.forEach((b, i) => {
    if (!/^[A-Z0-9_]{1,30}$/.test(b.grade)) throw badInput(`Grade code "${b.grade}" must be upper-case letters, digits or "_".`, `input.grading.bands.${i}.grade`);
    if (grades.has(b.grade)) throw badInput(`Grade "${b.grade}" appears twice.`, `input.grading.bands.${i}.grade`);
    grades.add(b.grade);
    if (i > 0 && !(b.minScore < bands[i - 1]!.minScore)) throw badInput('Bands go from the highest grade down with falling minimum scores.', `input.grading.bands.${i}.minScore`);
    if (b.maxShare != null && !(b.maxShare > 0 && b.maxShare <= 1)) throw badInput(`The quota of "${b.label}" must be a share above 0 and at most 1.`, `input.grading.bands.${i}.maxShare`);
  });
  if (bands.at(-1)!.minScore !== 0) throw badInput('The lowest band must start at score 0 so every score has a grade.', 'input.grading.bands');
  const vetoGrade = input?.vetoGrade ?? bands.at(-1)!.grade;
  if (!grades.has(vetoGrade)) throw badInput(`The veto grade "${vetoGrade}" is not one of the bands.`, 'input.grading.vetoGrade');
  const rectificationDays = input?.rectificationDays ?? 90;
  if (!(Number.isInteger(rectificationDays) && rectificationDays >= 1 && rectificationDays <= 365)) throw badInput('Rectification takes 1 to 365 days.', 'input.grading.rectificationDays');
  return { bands, vetoGrade, oneStepPromotion: input?.oneStepPromotion ?? true, rectificationDays };
}

export const indicatorsOf = (dims: Dimension[]): Indicator[] => dims.flatMap((d) => d.indicators);
export const metricsOf = (dims: Dimension[]): MetricKey[] => [...new Set(indicatorsOf(dims).flatMap((i) => (i.metric ? [i.metric] : [])))];
