import { unitCopy } from '@trellis/platform';

/**
 * The services subgraph's copy of the organisation tree (orders, wishes, offers and projects take
 * their unit's path from it; subtree statistics walk it), kept from the organisation subgraph's
 * events (see platform/src/events/unitCopy.ts and this subgraph's unit_path migration).
 */
const copy = unitCopy('services');
export const applyUnitChanged = copy.applyUnitChanged;
export const unitPathSubscription = copy.subscription;
export { UNIT_CHANGED, ORGANISATION_TOPIC, type UnitChangedEvent, type EventTarget } from '@trellis/platform';
