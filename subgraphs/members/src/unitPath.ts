import { unitCopy } from '@trellis/platform';

/**
 * The members subgraph's copy of the organisation tree: each unit's ancestor path, kept from the
 * organisation subgraph's events (see platform/src/events/unitCopy.ts and migration 002's
 * `unit_path` and `apply_unit_changed`). Members of a unit get its new path when it moves.
 */
const copy = unitCopy('members');
export const applyUnitChanged = copy.applyUnitChanged;
export const unitPathSubscription = copy.subscription;
export { UNIT_CHANGED, ORGANISATION_TOPIC, type UnitChangedEvent, type EventTarget } from '@trellis/platform';
