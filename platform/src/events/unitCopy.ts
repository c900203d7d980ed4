/**
 * A subgraph's own copy of the organisation tree (each unit's ancestor path), kept from the
 * organisation subgraph's 'org_unit.changed' events. Each subgraph that needs the tree owns a
 * `unit_path` table, a `unit_event_cursor` and an `apply_unit_changed(tenant, seq, payload)`
 * function in its own schema (see its migrations); this module is the event side they share.
 */

/** One organisation event as the transport delivers it. */
export interface UnitChangedEvent {
  tenantId: string;
  /** Per-tenant, gapless stream sequence number. */
  seq: number | string | bigint;
  type: string;
  payload: Record<string, unknown>;
}

/** A MikroORM EntityManager (`execute`, `?` placeholders) or a `pg` client (`query`, `$n` placeholders). */
export type EventTarget =
  | { execute: (sql: string, params: unknown[]) => Promise<unknown> }
  | { query: (sql: string, params: unknown[]) => Promise<{ rows: unknown[] }> };

type Executor = { execute: (sql: string, params: unknown[]) => Promise<unknown> };

export const UNIT_CHANGED = 'org_unit.changed';
/** The topic the organisation subgraph publishes under on the platform event stream. */
export const ORGANISATION_TOPIC = 'organisation';

export interface UnitCopy {
  /**
   * Applies one event idempotently: replaying it, or an older event for the same unit, changes
   * nothing. Returns true when the event changed the copy. Runs under the event's tenant.
   */
  applyUnitChanged(db: EventTarget, event: UnitChangedEvent): Promise<boolean>;
  /**
   * What the platform's event follower runs: apply one event; `reset` lets a replay from the
   * start rewrite every row (rows are never deleted: the subgraph's own rows refer to them).
   */
  subscription: {
    topic: string;
    apply(em: Executor, event: UnitChangedEvent): Promise<void>;
    reset(em: Executor, tenantId: string): Promise<void>;
  };
}

/** The event side of the unit copy kept in `schema` (a subgraph's own schema name). */
export function unitCopy(schema: 'members' | 'services' | 'assessment'): UnitCopy {
  async function applyUnitChanged(db: EventTarget, event: UnitChangedEvent): Promise<boolean> {
    if (event.type !== UNIT_CHANGED) return false;
    const params = [event.tenantId, String(event.seq), JSON.stringify(event.payload)];
    if ('execute' in db) {
      const rows = (await db.execute(`select ${schema}.apply_unit_changed(?::uuid, ?::bigint, ?::jsonb) as applied`, params)) as { applied: boolean }[];
      return rows[0]?.applied === true;
    }
    const r = await db.query(`select ${schema}.apply_unit_changed($1::uuid, $2::bigint, $3::jsonb) as applied`, params);
    return (r.rows[0] as { applied: boolean } | undefined)?.applied === true;
  }
  return {
    applyUnitChanged,
    subscription: {
      topic: ORGANISATION_TOPIC,
      apply: async (em, event) => { await applyUnitChanged(em, event); },
      reset: async (em, tenantId) => {
        await em.execute(`update ${schema}.unit_path set last_seq = 0 where tenant_id = ?`, [tenantId]);
        await em.execute(`update ${schema}.unit_event_cursor set last_seq = 0 where tenant_id = ?`, [tenantId]);
      },
    },
  };
}
