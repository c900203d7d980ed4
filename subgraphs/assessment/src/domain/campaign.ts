import { conflict, forbidden } from '@trellis/platform';

export type TargetState = 'SELF_ASSESSMENT' | 'STREET_REVIEW' | 'DISTRICT_REVIEW' | 'NOTICE' | 'FINAL';
export type Tier = 'SELF' | 'STREET' | 'DISTRICT';
/** Who acts on a target: the unit itself, its street, or its decider (district or county). */
export type Role = 'UNIT' | 'STREET' | 'DECIDER';

/** The tier acting in each state (NOTICE and FINAL belong to the decider). */
export const ACTOR: Record<TargetState, Role> = {
  SELF_ASSESSMENT: 'UNIT', STREET_REVIEW: 'STREET', DISTRICT_REVIEW: 'DECIDER', NOTICE: 'DECIDER', FINAL: 'DECIDER',
};
export const TIER_OF: Record<Role, Tier> = { UNIT: 'SELF', STREET: 'STREET', DECIDER: 'DISTRICT' };

/** Where a send-back goes: one tier down. */
export const SEND_BACK: Partial<Record<TargetState, TargetState>> = {
  STREET_REVIEW: 'SELF_ASSESSMENT', DISTRICT_REVIEW: 'STREET_REVIEW', NOTICE: 'DISTRICT_REVIEW',
};

const LABEL: Record<TargetState, string> = {
  SELF_ASSESSMENT: 'self-assessment', STREET_REVIEW: 'street review', DISTRICT_REVIEW: 'district review', NOTICE: 'public notice', FINAL: 'final',
};
const ROLE_LABEL: Record<Role, string> = { UNIT: 'the assessed unit', STREET: 'its street', DECIDER: 'its district' };

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
  if (actingUnitId === null || !rolesOf(t, actingUnitId).includes(role)) {
    throw forbidden(`Only ${ROLE_LABEL[role]} may ${what}.`);
  }
  if (!expected.includes(t.state)) {
    throw conflict(`Cannot ${what}: the target is in ${LABEL[t.state]}, not ${expected.map((s) => LABEL[s]).join(' or ')}.`);
  }
}

export const stateLabel = (s: TargetState) => LABEL[s];
