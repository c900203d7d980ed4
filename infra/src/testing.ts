import { DEV_JWT_SECRET, createLogger, signUserToken, type Logger, type Principal } from '@trellis/platform';
import { createTestDatabase, testInternalKeys, type TestDatabase } from '@trellis/platform/testkit/index.ts';
import { startStack, type RunningStack } from './stack.ts';
import { loadDemo, type LoadedTenant } from './demo/load.ts';
import { loadMembersDemo } from './demo/members.ts';
import { loadAssessmentDemo } from './demo/assessment.ts';
import { loadServicesDemo } from './demo/services.ts';

const tokens = { issuer: 'trellis-test', audience: 'trellis' };

export interface TestStack {
  db: TestDatabase;
  stack: RunningStack;
  url: string;
  tenants: Record<string, LoadedTenant>;
  /** A user token for a principal of a demo tenant; `scope` is a unit path key like '中共黄石市委/黄石港区'. */
  token(tenant: string, role: Principal['role'], opts?: { scope?: string; scopeUnitId?: string; scopes?: Principal['scopes']; memberId?: string; sub?: string }): Promise<string>;
  /** Brings every subgraph's event followers up to date (what the background followers do in production). */
  catchUpEvents(): Promise<number>;
  /**
   * Moves every subgraph's summary version of a tenant on, as a write would: what the running
   * services keep under the old versions is no longer used. Statement counts taken next compare
   * loads, not cache hits.
   */
  forgetCached(tenant: string): Promise<void>;
  /** Id of a demo unit by its path key ('中共黄石市委/黄石港区/黄石港街道'). */
  unit(tenant: string, key: string): string;
  close(): Promise<void>;
}

/** A fresh database with the demo tenants, every subgraph and the gateway on free ports. */
export async function startTestStack(opts: { clock?: () => Date; deduplicateInbound?: boolean; log?: Logger; followEvents?: boolean } = {}): Promise<TestStack> {
  const db = await createTestDatabase();
  const loaded = await loadDemo(db.adminUrl);
  await loadMembersDemo(db.adminUrl, loaded, opts.clock ? opts.clock().toISOString().slice(0, 10) : undefined);
  await loadAssessmentDemo(db.adminUrl, loaded);
  await loadServicesDemo(db.adminUrl, loaded, opts.clock ? opts.clock() : undefined);
  const tenants = Object.fromEntries(loaded.map((t) => [t.slug, t]));
  const stack = await startStack({
    adminUrl: db.adminUrl,
    appPassword: db.appPassword,
    internalKeys: testInternalKeys(),
    userTokens: { ...tokens, secret: DEV_JWT_SECRET },
    log: opts.log ?? createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent'),
    clock: opts.clock,
    deduplicateInbound: opts.deduplicateInbound,
    // Deterministic tests: followers run when a test calls catchUp(), not on a timer.
    followEvents: opts.followEvents ?? false,
  });
  const unit = (tenant: string, key: string) => {
    const id = tenants[tenant]?.unitIds.get(key);
    if (!id) throw new Error(`no demo unit ${tenant}:${key}`);
    return id;
  };
  return {
    db,
    stack,
    url: stack.gateway.url,
    tenants,
    unit,
    token: (tenant, role, o = {}) => {
      const t = tenants[tenant];
      if (!t) throw new Error(`no demo tenant ${tenant}`);
      return signUserToken({ ...tokens, secret: DEV_JWT_SECRET }, {
        sub: o.sub ?? `test-${role.toLowerCase()}`,
        tenantId: t.id,
        tenantSlug: tenant,
        role,
        scopeUnitId: o.scopeUnitId ?? (o.scope ? unit(tenant, o.scope) : undefined),
        memberId: o.memberId,
        scopes: o.scopes ?? [],
      });
    },
    async forgetCached(tenant) {
      const { rows } = await db.query<{ schema: string }>(`select table_schema as schema from information_schema.tables where table_name = 'summary_version' order by 1`);
      for (const { schema } of rows) {
        await db.query(`insert into ${schema}.summary_version as v (tenant_id, version) values ($1, 1) on conflict (tenant_id) do update set version = v.version + 1`, [tenants[tenant]!.id]);
      }
    },
    async catchUpEvents() {
      let n = 0;
      for (const sg of stack.subgraphs) for (const f of Object.values(sg.followers)) n += await f.catchUp();
      return n;
    },
    async close() {
      await stack.close();
      await db.drop();
    },
  };
}
