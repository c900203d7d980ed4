/**
 * The assessment subgraph's copy of the organisation tree (which street and district a target
 * lies under, and the paths row-level security scopes by), kept from the organisation
 * subgraph's 'org_unit.changed' events exactly as the members subgraph keeps its own.
 */

/** One organisation event as the transport delivers it. */
export interface UnitChangedEvent { tenantId: string; seq: number | string | bigint; type: string; payload: Record<string, unknown> }
/** A MikroORM EntityManager (`?` placeholders) or a `pg` client (`$n` placeholders). */
export type EventTarget =
  | { execute: (sql: string, params: unknown[]) => Promise<unknown> }
  | { query: (sql: string, params: unknown[]) => Promise<{ rows: unknown[] }> };

export const UNIT_CHANGED = 'org_unit.changed';
export const ORGANISATION_TOPIC = 'organisation';

/** Applies one event idempotently (an event not newer than the unit's row changes nothing); true when it changed the copy. */
export async function applyUnitChanged(db: EventTarget, event: UnitChangedEvent): Promise<boolean> {
  if (event.type !== UNIT_CHANGED) return false;
  const params = [event.tenantId, String(event.seq), JSON.stringify(event.payload)];
  if ('execute' in db) {
    const rows = (await db.execute('select assessment.apply_unit_changed(?::uuid, ?::bigint, ?::jsonb) as applied', params)) as { applied: boolean }[];
    return rows[0]?.applied === true;
  }
  const r = await db.query('select assessment.apply_unit_changed($1::uuid, $2::bigint, $3::jsonb) as applied', params);
  return (r.rows[0] as { applied: boolean } | undefined)?.applied === true;
}

type Exec = { execute: (sql: string, params: unknown[]) => Promise<unknown> };

/** The follower's subscription: apply each event; `reset` lets a replay rewrite every row (rows are kept: targets refer to them). */
export const unitPathSubscription = {
  topic: ORGANISATION_TOPIC,
  apply: async (em: Exec, event: UnitChangedEvent) => { await applyUnitChanged(em, event); },
  reset: async (em: Exec, tenantId: string) => {
    await em.execute('update assessment.unit_path set last_seq = 0 where tenant_id = ?', [tenantId]);
    await em.execute('update assessment.unit_event_cursor set last_seq = 0 where tenant_id = ?', [tenantId]);
  },
};
