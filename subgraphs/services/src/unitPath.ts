/**
 * The services subgraph's copy of the organisation tree: each unit's ancestor path, kept from the
 * organisation subgraph's events ('org_unit.changed', topic 'organisation'). Orders, wishes,
 * offers and projects take their unit's path from it; the subtree statistics walk it.
 */

/** One organisation event as the transport delivers it. */
export interface UnitChangedEvent {
  tenantId: string;
  seq: number | string | bigint;
  type: string;
  payload: Record<string, unknown>;
}

/** A MikroORM EntityManager (`execute`, `?` placeholders) or a `pg` client (`query`, `$n` placeholders). */
export type EventTarget =
  | { execute: (sql: string, params: unknown[]) => Promise<unknown> }
  | { query: (sql: string, params: unknown[]) => Promise<{ rows: unknown[] }> };

export const UNIT_CHANGED = 'org_unit.changed';
export const ORGANISATION_TOPIC = 'organisation';

/** Applies one event idempotently (older or repeated events change nothing); true when it changed the copy. */
export async function applyUnitChanged(db: EventTarget, event: UnitChangedEvent): Promise<boolean> {
  if (event.type !== UNIT_CHANGED) return false;
  const params = [event.tenantId, String(event.seq), JSON.stringify(event.payload)];
  if ('execute' in db) {
    const rows = (await db.execute('select services.apply_unit_changed(?::uuid, ?::bigint, ?::jsonb) as applied', params)) as { applied: boolean }[];
    return rows[0]?.applied === true;
  }
  const r = await db.query('select services.apply_unit_changed($1::uuid, $2::bigint, $3::jsonb) as applied', params);
  return (r.rows[0] as { applied: boolean } | undefined)?.applied === true;
}

type Executor = { execute: (sql: string, params: unknown[]) => Promise<unknown> };

/** What the platform's event follower runs for this subgraph; rows are never deleted on reset (orders refer to them). */
export const unitPathSubscription = {
  topic: ORGANISATION_TOPIC,
  apply: async (em: Executor, event: UnitChangedEvent) => { await applyUnitChanged(em, event); },
  reset: async (em: Executor, tenantId: string) => {
    await em.execute('update services.unit_path set last_seq = 0 where tenant_id = ?', [tenantId]);
    await em.execute('update services.unit_event_cursor set last_seq = 0 where tenant_id = ?', [tenantId]);
  },
};
