import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase, type TestDatabase } from '../src/testkit/index.ts';
import { createOrm, sqlCounter, transactionOpening } from '../src/db/orm.ts';
import { sessionSettingsSql, sessionVariables } from '../src/server/context.ts';
import type { Principal } from '../src/auth/principal.ts';

// A request's session settings travel with its BEGIN as literals in one simple query: values a
// token carries (the subject is the identity provider's string) must arrive exactly as they are.
let db: TestDatabase;
let orm: MikroORM;
beforeAll(async () => {
  db = await createTestDatabase();
  // One connection, so the second test's transaction runs on the first one's connection.
  orm = await createOrm({ url: db.appUrl('members'), entities: [], poolMax: 1 });
});
afterAll(async () => {
  await orm.close(true);
  await db.drop();
});

const principal: Principal = {
  sub: `o'brien\\"; select pg_sleep(1); --\n王小明`,
  tenantId: '3f1c2a4e-1111-4c6b-9d7e-123456789abc',
  tenantSlug: 'huangshi',
  role: 'MEMBER',
  scopeUnitId: '5a6b7c8d-2222-4e3f-8a9b-abcdefabcdef',
  memberId: '9e8d7c6b-3333-4a5b-8c9d-0123456789ab',
  scopes: [],
};

const settings = `select current_setting('app.tenant_id', true) as "app.tenant_id", current_setting('app.scope_unit', true) as "app.scope_unit",
  current_setting('app.principal', true) as "app.principal", current_setting('app.role', true) as "app.role",
  current_setting('app.member_id', true) as "app.member_id", current_setting('transaction_read_only') as read_only`;

describe('session settings sent with BEGIN', () => {
  it('arrive exactly, quotes, backslashes and line breaks included, in the one statement that opens the transaction', async () => {
    const em = orm.em.fork();
    const opening = { sql: sessionSettingsSql(principal), sent: false };
    const before = sqlCounter.total;
    await transactionOpening.run(opening, () => em.begin({ readOnly: true }));
    expect(opening.sent).toBe(true);
    expect(sqlCounter.total - before).toBe(1);
    const [row] = await em.execute<Record<string, string>[]>(settings);
    await em.rollback();
    expect(row).toEqual({ ...sessionVariables(principal), read_only: 'on' });
  });

  it('last for their own transaction only: the next user of the pooled connection starts without them', async () => {
    const em = orm.em.fork();
    await transactionOpening.run({ sql: sessionSettingsSql(principal), sent: false }, () => em.begin());
    await em.rollback();
    const next = orm.em.fork();
    await next.begin();
    const [row] = await next.execute<Record<string, string | null>[]>(settings);
    await next.rollback();
    expect(row!['app.tenant_id'] ?? '').toBe('');
    expect(row!['app.principal'] ?? '').toBe('');
  });
});
