import { badInput, conflict } from '@trellis/platform';

/**
 * Transfer of organisation relation (组织关系转接):
 * INITIATED → RELEASED (letter issued) → RECEIVED (receipt returned) → COMPLETED; CANCELLED before
 * receipt. EXPIRED is not stored: a released letter past its last valid day reads as EXPIRED.
 */
export type StoredTransferStatus = 'INITIATED' | 'RELEASED' | 'RECEIVED' | 'COMPLETED' | 'CANCELLED';
export type TransferStatus = StoredTransferStatus | 'EXPIRED';
export type TransferAction = 'release' | 'receive' | 'complete' | 'cancel';

/** The state each action needs, and the state it leads to. */
const TRANSITIONS: Record<TransferAction, { from: readonly TransferStatus[]; to: StoredTransferStatus; what: string }> = {
  release: { from: ['INITIATED'], to: 'RELEASED', what: 'released (only an INITIATED transfer can be)' },
  receive: { from: ['RELEASED'], to: 'RECEIVED', what: 'received (only a RELEASED transfer with a valid letter can be)' },
  complete: { from: ['RECEIVED'], to: 'COMPLETED', what: 'completed (the receiving organisation must receive it first)' },
  cancel: { from: ['INITIATED', 'RELEASED', 'EXPIRED'], to: 'CANCELLED', what: 'cancelled (a received or completed transfer cannot be)' },
};

/** The state a reader sees on `today` (`YYYY-MM-DD`). */
export function effectiveStatus(t: { status: StoredTransferStatus; letter_expires_on: string | null }, today: string): TransferStatus {
  return t.status === 'RELEASED' && t.letter_expires_on !== null && today > t.letter_expires_on ? 'EXPIRED' : t.status;
}

/** Checks an action against the current state; CONFLICT names the state and what is allowed. */
export function checkTransition(current: TransferStatus, action: TransferAction, expiresOn: string | null): StoredTransferStatus {
  const t = TRANSITIONS[action];
  if (!t.from.includes(current)) {
    if (current === 'EXPIRED') {
      throw conflict(`The transfer letter expired on ${expiresOn}; it can no longer be ${action === 'receive' ? 'received' : action + 'd'}. Cancel the transfer and start a new one.`);
    }
    throw conflict(`The transfer is ${current}; it cannot be ${t.what}.`);
  }
  return t.to;
}

/** Last valid day of a letter issued on `issuedOn` and valid for `months` (a month later on the same day, minus one). */
export function letterExpiresOn(issuedOn: string, months: number): string {
  const [y, m, d] = issuedOn.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  target.setUTCDate(target.getUTCDate() - 1);
  return target.toISOString().slice(0, 10);
}

/** A letter or receipt number: 1–40 visible characters. */
export function checkDocumentNumber(value: string, field: string, what: string): string {
  const v = value.trim();
  if (v.length < 1 || v.length > 40) throw badInput(`The ${what} number must have 1 to 40 characters.`, field);
  return v;
}

/** `YYYY-MM`, not after the current month. */
export function checkDuesMonth(value: string | null | undefined, today: string): string | null {
  if (value == null || value === '') return null;
  if (!/^[0-9]{4}-(0[1-9]|1[0-2])$/.test(value)) throw badInput('duesPaidUntil is a month written YYYY-MM, e.g. 2026-05.', 'input.duesPaidUntil');
  if (value > today.slice(0, 7)) throw badInput(`duesPaidUntil ${value} is after the current month; dues cannot be paid ahead here.`, 'input.duesPaidUntil');
  return value;
}
