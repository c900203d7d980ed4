/**
 * The members subgraph's copy of the organisation tree: each unit's ancestor path, kept from the
 * organisation subgraph's outbox events ('org_unit.changed'). The event transport that delivers
 * them is not part of this module; it calls `applyUnitChanged` once per event.
 */

/** One organisation outbox row as the transport delivers it. */
export interface UnitChangedEvent {
  tenantId: string;
  /** Per-tenant, gapless outbox sequence number. */
  seq: number | string | bigint;
  type: string;
  payload: { id: string; parentId: string | null; kind: string; name: string; status: string; path: string; change?: string } | Record<string, unknown>;
}

/** A MikroORM EntityManager (`execute`, `?` placeholders) or a `pg` client/pool (`query`, `$n` placeholders). */
export type EventTarget =
  | { execute: (sql: string, params: unknown[]) => Promise<unknown> }
  | { query: (sql: string, params: unknown[]) => Promise<{ rows: unknown[] }> };

export const UNIT_CHANGED = 'org_unit.changed';
/** The topic the organisation subgraph publishes under on the platform event stream. */
export const ORGANISATION_TOPIC = 'organisation';

/**
 * Applies one event idempotently: replaying it, or an older event for the same unit, changes
 * nothing. Members of the unit get its new path (their scope follows moves). Returns true when
 * the event changed the copy. Runs under the event's tenant whatever the caller's session says;
 * the tenant's cursor (`members.unit_event_cursor`) advances to the event's seq.
 */
export async function applyUnitChanged(db: EventTarget, event: UnitChangedEvent): Promise<boolean> {
  if (event.type !== UNIT_CHANGED) return false;
  const params = [event.tenantId, String(event.seq), JSON.stringify(event.payload)];
  if ('execute' in db) {
    const rows = (await db.execute('select members.apply_unit_changed(?::uuid, ?::bigint, ?::jsonb) as applied', params)) as { applied: boolean }[];
    return rows[0]?.applied === true;
  }
  const r = await db.query('select members.apply_unit_changed($1::uuid, $2::bigint, $3::jsonb) as applied', params);
  return (r.rows[0] as { applied: boolean } | undefined)?.applied === true;
}

/**
 * The subscription the platform's event follower runs for this subgraph (shape of
 * `Subscription` in platform/src/events/follower.ts): apply one event; `reset` lets a replay
 * from the start rewrite every row (rows are never deleted: members refer to them).
 */
export const unitPathSubscription = {
  topic: ORGANISATION_TOPIC,
  apply: async (em: { execute: (sql: string, params: unknown[]) => Promise<unknown> }, event: UnitChangedEvent) => { await applyUnitChanged(em, event); },
  reset: async (em: { execute: (sql: string, params: unknown[]) => Promise<unknown> }, tenantId: string) => {
    await em.execute('update members.unit_path set last_seq = 0 where tenant_id = ?', [tenantId]);
    await em.execute('update members.unit_event_cursor set last_seq = 0 where tenant_id = ?', [tenantId]);
  },
};
