import { conflict, forbidden } from '@trellis/platform';

/**
 * A tiered review as data: which role acts in each state, where a send-back goes, and the words
 * the messages use. Campaign targets and member appraisals are two flows on this one machine.
 */
export interface Flow<S extends string, R extends string> {
  /** The role acting in each state. */
  actor: Record<S, R>;
  /** Where a send-back from a state goes (one tier down). */
  sendBack: Partial<Record<S, S>>;
  /** How a state reads in a message ("self-assessment"). */
  stateLabel: Record<S, string>;
  /** How a role reads in a message ("its street"). */
  roleLabel: Record<R, string>;
  /** What the reviewed thing is called ("the target"). */
  noun: string;
}

/** FORBIDDEN unless the caller holds `role`; CONFLICT when the state is not one of `expected`. */
export function requireRole<S extends string, R extends string>(flow: Flow<S, R>, state: S, held: readonly R[], role: R, expected: readonly S[], what: string): void {
  if (!held.includes(role)) throw forbidden(`Only ${flow.roleLabel[role]} may ${what}.`);
  if (!expected.includes(state)) {
    throw conflict(`Cannot ${what}: ${flow.noun} is in ${flow.stateLabel[state]}, not ${expected.map((s) => flow.stateLabel[s]).join(' or ')}.`);
  }
}

/** The state a send-back leads to and the role that may do it; CONFLICT with `refusal` when nothing lies below. */
export function sendBackFrom<S extends string, R extends string>(flow: Flow<S, R>, state: S, refusal: string): { to: S; role: R } {
  const to = flow.sendBack[state];
  if (!to) throw conflict(refusal);
  return { to, role: flow.actor[state] };
}
