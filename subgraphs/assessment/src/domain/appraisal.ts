import type { Flow } from './flow.ts';
import type { GradeBand, Grading } from './template.ts';

export type AppraisalState = 'SELF_APPRAISAL' | 'PEER_APPRAISAL' | 'BALLOT' | 'REPORTED' | 'CONFIRMED';
export type AppraisalGrade = 'EXCELLENT' | 'QUALIFIED' | 'BASICALLY_QUALIFIED' | 'UNQUALIFIED';
/** The branch runs the appraisal; the unit above it confirms. */
export type AppraisalRole = 'BRANCH' | 'CONFIRMER';

export const APPRAISAL_GRADES: AppraisalGrade[] = ['EXCELLENT', 'QUALIFIED', 'BASICALLY_QUALIFIED', 'UNQUALIFIED'];

/** 民主评议党员 on the review machine: self → peers → ballot → branch proposal → reported up → confirmed. */
export const APPRAISAL_FLOW: Flow<AppraisalState, AppraisalRole> = {
  actor: { SELF_APPRAISAL: 'BRANCH', PEER_APPRAISAL: 'BRANCH', BALLOT: 'BRANCH', REPORTED: 'CONFIRMER', CONFIRMED: 'CONFIRMER' },
  sendBack: { REPORTED: 'BALLOT' },
  stateLabel: { SELF_APPRAISAL: 'self-appraisal', PEER_APPRAISAL: 'peer appraisal', BALLOT: 'the ballot', REPORTED: 'review by the tier above', CONFIRMED: 'confirmed' },
  roleLabel: { BRANCH: 'the branch', CONFIRMER: 'the organisation above the branch' },
  noun: 'the appraisal',
};

/** What the branch's "advance" does in each state it owns. */
export const ADVANCE: Partial<Record<AppraisalState, AppraisalState>> = { SELF_APPRAISAL: 'PEER_APPRAISAL', PEER_APPRAISAL: 'BALLOT' };

/**
 * The grades as bands so the organisation review's quota rule applies unchanged: excellent at
 * most one third of the branch's appraised members (DOMAIN §5), the tenant's share when set.
 */
export function appraisalBands(excellentMaxShare: number): GradeBand[] {
  return [
    { grade: 'EXCELLENT', label: '优秀', minScore: 3, stars: null, maxShare: excellentMaxShare },
    { grade: 'QUALIFIED', label: '合格', minScore: 2, stars: null, maxShare: null },
    { grade: 'BASICALLY_QUALIFIED', label: '基本合格', minScore: 1, stars: null, maxShare: null },
    { grade: 'UNQUALIFIED', label: '不合格', minScore: 0, stars: null, maxShare: null },
  ];
}
export const DEFAULT_EXCELLENT_SHARE = 1 / 3;
/** Days an unqualified member has to rectify (限期改正) before the branch records the handling. */
export const FOLLOW_UP_DAYS = 180;

export type DutyRating = 'GOOD' | 'FAIRLY_GOOD' | 'AVERAGE' | 'POOR';
export type DutyGrade = 'EXCELLENT' | 'COMPETENT' | 'BASICALLY_COMPETENT' | 'INCOMPETENT';
export const DUTY_RATINGS: DutyRating[] = ['GOOD', 'FAIRLY_GOOD', 'AVERAGE', 'POOR'];
/** Points of each rating (好 100, 较好 80, 一般 60, 差 0); the review's score is their mean. */
export const DUTY_POINTS: Record<DutyRating, number> = { GOOD: 100, FAIRLY_GOOD: 80, AVERAGE: 60, POOR: 0 };
/** 述职评议 grades from the mean score (优秀 ≥ 90, 称职 ≥ 75, 基本称职 ≥ 60, else 不称职), graded like a template. */
export const DUTY_GRADING: Grading = {
  bands: [
    { grade: 'EXCELLENT', label: '优秀', minScore: 90, stars: null, maxShare: null },
    { grade: 'COMPETENT', label: '称职', minScore: 75, stars: null, maxShare: null },
    { grade: 'BASICALLY_COMPETENT', label: '基本称职', minScore: 60, stars: null, maxShare: null },
    { grade: 'INCOMPETENT', label: '不称职', minScore: 0, stars: null, maxShare: null },
  ],
  vetoGrade: 'INCOMPETENT',
  oneStepPromotion: false,
  rectificationDays: 90,
};

/** Mean points of the ratings, two decimals; null without ratings. */
export function dutyScore(counts: Partial<Record<DutyRating, number>>): number | null {
  let n = 0;
  let sum = 0;
  for (const r of DUTY_RATINGS) {
    n += counts[r] ?? 0;
    sum += (counts[r] ?? 0) * DUTY_POINTS[r];
  }
  return n === 0 ? null : Math.round((sum / n) * 100) / 100;
}
