import { badInput } from '@trellis/platform';

/** The recruitment pipeline (发展党员): 入党申请人 → 积极分子 → 发展对象 → 预备党员 → 正式党员. */
export const STAGES = ['APPLICANT', 'ACTIVIST', 'DEVELOPMENT_TARGET', 'PROBATIONARY', 'FULL'] as const;
export type Stage = (typeof STAGES)[number];

const NEXT: Record<Stage, Stage | null> = {
  APPLICANT: 'ACTIVIST',
  ACTIVIST: 'DEVELOPMENT_TARGET',
  DEVELOPMENT_TARGET: 'PROBATIONARY',
  PROBATIONARY: 'FULL',
  FULL: null,
};

/** The column holding the date a member reached each stage. */
export const STAGE_DATE_COLUMN: Record<Stage, string> = {
  APPLICANT: 'applied_on',
  ACTIVIST: 'activist_on',
  DEVELOPMENT_TARGET: 'target_on',
  PROBATIONARY: 'joined_on',
  FULL: 'full_on',
};

/** Steps that need a deciding body (the admission and the confirmation are approved by the Party committee above). */
const NEEDS_APPROVER: ReadonlySet<Stage> = new Set(['PROBATIONARY', 'FULL']);

/** Probation lasts one year: the earliest date a probationary member admitted on `joinedOn` may become full. */
export function probationEnds(joinedOn: string): string {
  const [y, m, d] = joinedOn.split('-').map(Number) as [number, number, number];
  const end = new Date(Date.UTC(y + 1, m - 1, d));
  // 29 February + 1 year → 1 March (Date rolls over).
  return end.toISOString().slice(0, 10);
}

export interface StepInput { to: Stage; on: string; approvedBy?: string | null }
export interface Current { stage: Stage; stageSince: string | null; joinedOn: string | null }

/**
 * Checks one step of the pipeline; throws BAD_USER_INPUT naming the current stage and the
 * allowed next step when the step is illegal.
 */
export function checkStep(cur: Current, step: StepInput, today: string): void {
  const next = NEXT[cur.stage];
  if (step.to !== next) {
    throw badInput(next
      ? `The member is currently ${cur.stage}; the only allowed next stage is ${next}, not ${step.to}.`
      : `The member is currently ${cur.stage}; the recruitment pipeline has no further stage.`, 'input.to');
  }
  if (step.on > today) throw badInput(`The date ${step.on} is in the future; record a step once it has happened.`, 'input.on');
  if (cur.stageSince && step.on < cur.stageSince) throw badInput(`The date ${step.on} is before the member became ${cur.stage} (${cur.stageSince}).`, 'input.on');
  if (NEEDS_APPROVER.has(step.to) && !step.approvedBy?.trim()) throw badInput(`Moving to ${step.to} needs the approving body in approvedBy (e.g. 中共黄石港街道工作委员会).`, 'input.approvedBy');
  if (step.to === 'FULL') {
    const ends = probationEnds(cur.joinedOn ?? step.on);
    if (step.on < ends) throw badInput(`Probation lasts one year: the member was admitted on ${cur.joinedOn} and can become FULL on ${ends} at the earliest.`, 'input.on');
  }
}
