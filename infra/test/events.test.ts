import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createFollower, createLogger, sqlCounter, type StreamEvent } from '@trellis/platform';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '../src/testing.ts';

let t: TestStack;
beforeAll(async () => { t = await startTestStack(); });
afterAll(() => t.close());

/** A subscriber that records what it was given (as the members role, through its own ORM). */
function recorder() {
  const seen: StreamEvent[] = [];
  const orm = t.stack.subgraphs.find((s) => s.name === 'members')!.orm;
  const follower = createFollower(orm, { topic: 'organisation', apply: async (_em, e) => { seen.push(e); }, reset: async () => {} }, createLogger('test', 'silent'), 100);
  return { seen, follower };
}

describe('the organisation event stream', () => {
  it('delivers every event once, in order per tenant, across batches', async () => {
    const { seen, follower } = recorder();
    const n = await follower.catchUp();
    const { rows } = await t.db.query<{ n: number }>(`select count(*)::int n from events.stream where topic = 'organisation'`);
    expect(n).toBe(rows[0]!.n);
    for (const tenant of [t.tenants.huangshi!.id, t.tenants.haiyang!.id]) {
      const seqs = seen.filter((e) => e.tenantId === tenant).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    }
    expect(await follower.catchUp()).toBe(0);
  });

  it('an idle poll is one read and writes no cursor', async () => {
    const { follower } = recorder();
    await follower.catchUp();
    const cursors = () => t.db.query<{ tenant_id: string; xmin: string; last_seq: string }>(
      `select tenant_id::text, xmin::text, last_seq::text from events.subscription where subscriber = 'members' and topic = 'organisation' order by 1`);
    const before = (await cursors()).rows;
    expect(before.length).toBeGreaterThanOrEqual(2);
    const statements = sqlCounter.total;
    expect(await follower.catchUp()).toBe(0);
    expect(sqlCounter.total - statements).toBe(1);
    expect((await cursors()).rows).toEqual(before);
  });

  it('a follower that was stopped while a subtree moved catches up with exactly the new events', async () => {
    const { seen, follower } = recorder();
    await follower.catchUp();
    const before = seen.length;
    const admin = await t.token('huangshi', 'CITY_ADMIN');
    const community = t.unit('huangshi', '中共黄石市委/黄石港区/黄石港街道/磁湖社区党总支');
    const { rows } = await t.db.query<{ n: number }>(`select count(*)::int n from organisation.org_unit where path ~ ('*.' || replace($1::text, '-', '') || '.*')::lquery`, [community]);
    const moved = await gql(t.url, admin, 'mutation($id: ID!, $p: ID!) { moveOrgUnit(id: $id, newParentId: $p) { id } }', { id: community, p: t.unit('huangshi', '中共黄石市委/黄石港区/红旗桥街道') });
    expect(moved.errors).toBeUndefined();
    expect(await follower.catchUp()).toBe(rows[0]!.n);
    const news = seen.slice(before);
    expect(news[0]!.payload).toMatchObject({ id: community, change: 'MOVED' });
    expect(news.slice(1).every((e) => e.payload.change === 'ANCESTRY')).toBe(true);
    expect(news.every((e) => String(e.payload.path).includes(t.unit('huangshi', '中共黄石市委/黄石港区/红旗桥街道').replace(/-/g, '')))).toBe(true);
  });

  it('replays the whole stream from the start', async () => {
    const { seen, follower } = recorder();
    await follower.catchUp(); // the cursor is durable per subscriber: nothing new here
    const { rows } = await t.db.query<{ n: number }>(`select count(*)::int n from events.stream where topic = 'organisation'`);
    expect(await follower.replay()).toBe(rows[0]!.n);
    expect(seen.length).toBe(rows[0]!.n);
  });

  it("a service role can neither publish under another subgraph's topic nor read another tenant's events", async () => {
    const c = new pg.Client({ connectionString: t.db.appUrl('members') });
    await c.connect();
    try {
      await c.query('begin');
      await c.query(`select set_config('app.tenant_id', $1, true)`, [t.tenants.huangshi!.id]);
      await expect(c.query(`insert into events.stream (topic, tenant_id, seq, type, payload) values ('organisation', $1, 999999, 'forged', '{}')`, [t.tenants.huangshi!.id])).rejects.toThrow(/row-level security/);
      await c.query('rollback');
      await c.query('begin');
      await c.query(`select set_config('app.tenant_id', $1, true)`, [t.tenants.huangshi!.id]);
      const { rows } = await c.query('select distinct tenant_id::text from events.stream');
      expect(rows.map((r: { tenant_id: string }) => r.tenant_id)).toEqual([t.tenants.huangshi!.id]);
      await c.query('rollback');
    } finally {
      await c.end();
    }
  });
});
