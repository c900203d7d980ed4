import { unitCopy } from '@trellis/platform';

/**
 * The assessment subgraph's copy of the organisation tree (which street and district a target lies
 * under, and the paths row-level security scopes by), kept from the organisation subgraph's
 * events (see platform/src/events/unitCopy.ts and this subgraph's unit_path migration).
 */
const copy = unitCopy('assessment');
export const applyUnitChanged = copy.applyUnitChanged;
export const unitPathSubscription = copy.subscription;
export { UNIT_CHANGED, ORGANISATION_TOPIC, type UnitChangedEvent, type EventTarget } from '@trellis/platform';
