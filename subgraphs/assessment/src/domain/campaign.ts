import { requireRole, type Flow } from './flow.ts';

export type TargetState = 'SELF_ASSESSMENT' | 'STREET_REVIEW' | 'DISTRICT_REVIEW' | 'NOTICE' | 'FINAL';
export type Tier = 'SELF' | 'STREET' | 'DISTRICT';
/** Who acts on a target: the unit itself, its street, or its decider (district or county). */
export type Role = 'UNIT' | 'STREET' | 'DECIDER';

/** The organisation-level review: self-assessment → street → district → notice → final. */
export const TARGET_FLOW: Flow<TargetState, Role> = {
  // NOTICE and FINAL belong to the decider.
  actor: { SELF_ASSESSMENT: 'UNIT', STREET_REVIEW: 'STREET', DISTRICT_REVIEW: 'DECIDER', NOTICE: 'DECIDER', FINAL: 'DECIDER' },
  sendBack: { STREET_REVIEW: 'SELF_ASSESSMENT', DISTRICT_REVIEW: 'STREET_REVIEW', NOTICE: 'DISTRICT_REVIEW' },
  stateLabel: { SELF_ASSESSMENT: 'self-assessment', STREET_REVIEW: 'street review', DISTRICT_REVIEW: 'district review', NOTICE: 'public notice', FINAL: 'final' },
  roleLabel: { UNIT: 'the assessed unit', STREET: 'its street', DECIDER: 'its district' },
  noun: 'the target',
};
export const ACTOR = TARGET_FLOW.actor;
export const TIER_OF: Record<Role, Tier> = { UNIT: 'SELF', STREET: 'STREET', DECIDER: 'DISTRICT' };

export interface TargetAuthority { unitId: string; streetId: string; deciderId: string; state: TargetState }

/** The roles the acting unit holds on a target (a unit can be several, e.g. a county deciding directly). */
export function rolesOf(t: TargetAuthority, actingUnitId: string): Role[] {
  const roles: Role[] = [];
  if (actingUnitId === t.unitId) roles.push('UNIT');
  if (actingUnitId === t.streetId) roles.push('STREET');
  if (actingUnitId === t.deciderId) roles.push('DECIDER');
  return roles;
}

/** FORBIDDEN unless the acting unit is the tier that acts now; CONFLICT when the target is not in `expected`. */
export function requireTier(t: TargetAuthority, actingUnitId: string | null, role: Role, expected: TargetState[], what: string): void {
  requireRole(TARGET_FLOW, t.state, actingUnitId === null ? [] : rolesOf(t, actingUnitId), role, expected, what);
}

export const stateLabel = (s: TargetState) => TARGET_FLOW.stateLabel[s];
