import type { MikroORM, SqlEntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.ts';

/** One event as subscribers receive it. */
export interface StreamEvent<P = Record<string, unknown>> {
  topic: string;
  tenantId: string;
  seq: number;
  eventId: string;
  type: string;
  payload: P;
  occurredAt: Date;
}

/**
 * What a subgraph does with another subgraph's events. `apply` runs inside the transaction
 * that also advances the cursor, with the event's tenant set, so an event is applied exactly
 * once and in order. `reset` clears what was built from the topic, for a replay from the start.
 */
export interface Subscription {
  topic: string;
  apply(em: SqlEntityManager, event: StreamEvent): Promise<void>;
  reset?(em: SqlEntityManager, tenantId: string): Promise<void>;
}

export interface Follower {
  /** Applies everything published so far; returns how many events were applied. */
  catchUp(): Promise<number>;
  /** Forgets the cursors, clears the derived state, and applies the whole stream again. */
  replay(): Promise<number>;
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

interface Row { topic: string; tenant_id: string; seq: string; event_id: string; type: string; payload: Record<string, unknown>; occurred_at: Date }

/**
 * Follows a topic of the PostgreSQL event stream (events.stream). Polling is the delivery;
 * it survives restarts and pooled connections, which LISTEN/NOTIFY does not. Swapping the
 * transport (e.g. NATS JetStream) means another implementation of this interface.
 */
export function createFollower(orm: MikroORM, subscription: Subscription, log: Logger, batchSize = 500): Follower {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  const tenantEm = (tenantId: string) => orm.em.fork({ session: { variables: { 'app.tenant_id': tenantId, 'app.scope_unit': '' } } }) as SqlEntityManager;

  async function applyBatch(tenantId: string): Promise<number> {
    const em = tenantEm(tenantId);
    return em.transactional(async (tx) => {
      const cur = await tx.execute<{ last_seq: string }[]>(
        `insert into events.subscription (subscriber, topic, tenant_id) values (events.role_topic(), ?, ?)
           on conflict (subscriber, topic, tenant_id) do update set updated_at = events.subscription.updated_at
           returning last_seq`, [subscription.topic, tenantId]);
      const after = Number(cur[0]!.last_seq);
      const rows = await tx.execute<Row[]>(
        'select * from events.stream where topic = ? and tenant_id = ? and seq > ? order by seq limit ?',
        [subscription.topic, tenantId, after, batchSize]);
      for (const r of rows) {
        await subscription.apply(tx, { topic: r.topic, tenantId: r.tenant_id, seq: Number(r.seq), eventId: r.event_id, type: r.type, payload: r.payload, occurredAt: r.occurred_at });
      }
      if (rows.length) {
        await tx.execute('update events.subscription set last_seq = ?, updated_at = now() where subscriber = events.role_topic() and topic = ? and tenant_id = ?',
          [rows[rows.length - 1]!.seq, subscription.topic, tenantId]);
      }
      return rows.length;
    });
  }

  async function catchUpOnce(): Promise<number> {
    // Only tenants with events past this subscriber's cursor: an idle poll is one read.
    const tenants = await orm.em.fork().execute<{ tenant_id: string }[]>(
      `select c.tenant_id from events.counter c
         left join events.subscription s on s.subscriber = events.role_topic() and s.topic = c.topic and s.tenant_id = c.tenant_id
        where c.topic = ? and c.last_seq > coalesce(s.last_seq, 0) order by c.tenant_id`, [subscription.topic]);
    let total = 0;
    for (const { tenant_id } of tenants) {
      for (;;) {
        const n = await applyBatch(tenant_id);
        total += n;
        if (n < batchSize) break;
      }
    }
    return total;
  }

  const catchUp = () => {
    // One pass at a time: a timer tick and an explicit call share the same run.
    running ??= catchUpOnce().finally(() => { running = undefined; });
    return running;
  };

  return {
    catchUp,
    async replay() {
      await running;
      const tenants = await orm.em.fork().execute<{ tenant_id: string }[]>('select tenant_id from events.counter where topic = ?', [subscription.topic]);
      for (const { tenant_id } of tenants) {
        await tenantEm(tenant_id).transactional(async (tx) => {
          await subscription.reset?.(tx, tenant_id);
          await tx.execute('delete from events.subscription where subscriber = events.role_topic() and topic = ? and tenant_id = ?', [subscription.topic, tenant_id]);
        });
      }
      return catchUp();
    },
    start(intervalMs = 250) {
      if (timer) return;
      const tick = () => {
        catchUp()
          .catch((err) => log.error({ err, topic: subscription.topic }, 'event follower failed; retrying'))
          .finally(() => { if (timer) timer = setTimeout(tick, intervalMs); });
      };
      timer = setTimeout(tick, 0);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => 0);
    },
  };
}
