import type { SqlEntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Principal } from '../auth/principal.ts';
import type { Logger } from '../logger.ts';
import type { RequestStats } from '../db/orm.ts';

/**
 * Everything one request may use. Built fresh per request: a forked EntityManager bound to the
 * caller's tenant and scope, fresh data loaders, the verified principal. Nothing is global.
 */
export interface SubgraphContext<L = unknown> {
  principal: Principal;
  em: SqlEntityManager;
  loaders: L;
  requestId: string;
  log: Logger;
  /** Injectable clock: deadlines and effective dates read time only through this. */
  now: () => Date;
  stats: RequestStats;
  /** Set by the transaction plugin once the request's transaction is open. */
  tx: { open: boolean };
}

/** ltree label of a unit id: paths are ltrees of unit ids without hyphens (PostgreSQL 15 labels allow no '-'). */
export const unitLabel = (id: string) => id.replace(/-/g, '');

/**
 * Session variables the row-level security policies read. The scope is the administered unit
 * (for a member: the unit their token names). A member principal without a scope unit sees
 * only its tenant, except where a subgraph's policies narrow what members see by app.role and
 * app.member_id (the services subgraph does: a member sees the orders and wishes they take
 * part in); the members subgraph enforces its own-record rules in its resolvers.
 */
export function sessionVariables(p: Principal): Record<string, string> {
  return {
    'app.tenant_id': p.tenantId,
    'app.scope_unit': p.role === 'CITY_ADMIN' || p.role === 'INTEGRATOR' || !p.scopeUnitId ? '' : unitLabel(p.scopeUnitId),
    'app.principal': p.sub,
    'app.role': p.role,
    'app.member_id': p.memberId ?? '',
  };
}

/**
 * The session variables as one statement with literal values, for the round trip that opens a
 * request's transaction (see transactionOpening); each value is quoted by pg's escapeLiteral.
 */
export function sessionSettingsSql(p: Principal): string {
  return `select ${Object.entries(sessionVariables(p)).map(([k, v]) => `set_config(${pg.escapeLiteral(k)}, ${pg.escapeLiteral(v)}, true)`).join(', ')}`;
}
