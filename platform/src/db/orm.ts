import { AsyncLocalStorage } from 'node:async_hooks';
import { MikroORM, PostgreSqlConnection, PostgreSqlDriver, type EntitySchema } from '@mikro-orm/postgresql';
import type { Configuration, Logger as OrmLogger, LoggerNamespace } from '@mikro-orm/core';
import { CompiledQuery, type DatabaseConnection, type TransactionSettings } from 'kysely';
import type { PoolConfig } from 'pg';

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

/**
 * Statements a transaction runs right after BEGIN, sent with it in one round trip: a request's
 * session settings (tenant, scope, principal). Every statement is a write to PostgreSQL's socket
 * and a wake-up on each side, which on small machines costs more than the statement itself.
 * `sent` tells the caller whether the BEGIN carried them (otherwise it runs them itself).
 */
export interface TransactionOpening { sql: string; sent: boolean }
export const transactionOpening = new AsyncLocalStorage<TransactionOpening>();

/** BEGIN followed by the opening statements in the store, as one simple-protocol query. */
class OpeningPostgreSqlConnection extends PostgreSqlConnection {
  override createKyselyDialect(overrides: PoolConfig) {
    const dialect = super.createKyselyDialect(overrides);
    const createDriver = dialect.createDriver.bind(dialect);
    dialect.createDriver = () => {
      const driver = createDriver();
      const begin = driver.beginTransaction.bind(driver);
      driver.beginTransaction = async (connection: DatabaseConnection, settings: TransactionSettings) => {
        const opening = transactionOpening.getStore();
        if (!opening || opening.sent) return begin(connection, settings);
        opening.sent = true;
        const mode = [settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean).join(' ');
        // No parameters: pg sends a simple query, which may hold several statements.
        await connection.executeQuery(CompiledQuery.raw(`start transaction${mode ? ` ${mode}` : ''}; ${opening.sql}`));
      };
      return driver;
    };
    return dialect;
  }
}

/** MikroORM's PostgreSQL driver on the connection above. */
class TrellisPostgreSqlDriver extends PostgreSqlDriver {
  constructor(config: Configuration) {
    super(config);
    (this as unknown as { connection: PostgreSqlConnection }).connection = new OpeningPostgreSqlConnection(this.config);
  }
}

export interface OrmOptions {
  url: string;
  entities: EntitySchema[];
  poolMax?: number;
}

/** One MikroORM per subgraph process, connected as that subgraph's role. */
export async function createOrm(opts: OrmOptions): Promise<MikroORM> {
  return MikroORM.init({
    driver: TrellisPostgreSqlDriver,
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
