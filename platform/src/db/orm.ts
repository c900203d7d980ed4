import { AsyncLocalStorage } from 'node:async_hooks';
import { MikroORM, type EntitySchema } from '@mikro-orm/postgresql';
import type { Logger as OrmLogger, LoggerNamespace } from '@mikro-orm/core';

/** Per-request statistics; SQL statements are counted so tests can prove there is no N+1. */
export interface RequestStats { sql: number }
export const requestStats = new AsyncLocalStorage<RequestStats>();

/** Process-wide statement counter too, for code that runs outside a request (tests, bench). */
export const sqlCounter = { total: 0 };

const counting = (ns: LoggerNamespace | string) => {
  if (ns !== 'query') return;
  sqlCounter.total++;
  const s = requestStats.getStore();
  if (s) s.sql++;
};

// MikroORM logs each executed statement in the 'query' namespace when debug includes it; we
// count rather than print.
const countingLogger = (): OrmLogger => ({
  log: counting,
  error: () => {},
  warn: () => {},
  logQuery: () => { counting('query'); },
  setDebugMode: () => {},
  isEnabled: (ns: LoggerNamespace) => ns === 'query',
});

export interface OrmOptions {
  url: string;
  entities: EntitySchema[];
  poolMax?: number;
}

/** One MikroORM per subgraph process, connected as that subgraph's role. */
export async function createOrm(opts: OrmOptions): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl: opts.url,
    entities: opts.entities,
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: opts.poolMax ?? 10 },
    allowGlobalContext: false,
    debug: ['query'],
    loggerFactory: countingLogger,
    // The session context (tenant, scope) is applied with set_config(..., true) at BEGIN.
    ensureDatabase: false,
  });
}
