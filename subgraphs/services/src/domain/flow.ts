import { conflict } from '@trellis/platform';
import type { OrderState, WishState } from '../loaders.ts';

/** States from which an order may still be cancelled by its submitter (before acceptance). */
export const CANCELLABLE: OrderState[] = ['SUBMITTED', 'TRIAGED', 'DISPATCHED', 'POSTED'];
/** States in which an order is waiting for someone to take it (the response deadline applies). */
export const AWAITING_RESPONSE: OrderState[] = ['SUBMITTED', 'TRIAGED', 'DISPATCHED', 'POSTED'];
/** States in which the work is finished or abandoned (no deadline applies). */
export const FINISHED: OrderState[] = ['DONE', 'CLOSED', 'CANCELLED'];

/** CONFLICT unless `state` is one of `allowed`; the message says what the action needs. */
export function expectState<S extends OrderState | WishState>(what: string, state: S, allowed: readonly S[], action: string): void {
  if (!allowed.includes(state)) {
    throw conflict(`The ${what} is ${state}; "${action}" needs it to be ${allowed.join(' or ')}.`);
  }
}

/** Masks a phone number for display (`139****5836`): residents' numbers never leave unmasked. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^0-9]/g, '');
  if (digits.length < 7) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/** Kinds that take an escalation: level 1 goes to the community (or village), level 2 to the street (or township). */
export const ESCALATION_KINDS: Record<1 | 2, string[]> = { 1: ['COMMUNITY', 'VILLAGE'], 2: ['STREET', 'TOWNSHIP'] };

/** Proximity points by the kind of the lowest unit the order and the provider share. */
export const PROXIMITY_POINTS: Record<string, number> = { BUILDING_GROUP: 40, GRID: 30, COMMUNITY: 20, VILLAGE: 20, STREET: 10, TOWNSHIP: 10 };
