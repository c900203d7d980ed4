import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { DocumentNode } from 'graphql';
import { GraphQLError } from 'graphql';
import type { EntitySchema, SqlEntityManager, MikroORM } from '@mikro-orm/postgresql';
import { createInternalVerifier } from '../auth/internalTokens.ts';
import type { Principal } from '../auth/principal.ts';
import { createOrm, requestStats, type RequestStats } from '../db/orm.ts';
import { toClientError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { sessionVariables, type SubgraphContext } from './context.ts';
import { transactionPlugin } from './transactionPlugin.ts';
import { createSummaryCache, type SummaryCache } from '../summaryCache.ts';
import { createFollower, type Follower, type Subscription } from '../events/follower.ts';

/** What a subgraph provides: its contract, its resolvers, its entities and its loaders. */
export interface SubgraphDefinition<L> {
  name: string;
  typeDefs: DocumentNode;
  // Resolvers are typed per subgraph by codegen; the factory only passes them through.
  resolvers: GraphQLResolverMap<SubgraphContext<L>>;
  entities: EntitySchema[];
  /** Builds one request's loaders; `cache` lives as long as the running subgraph (see SummaryCache). */
  createLoaders: (em: SqlEntityManager, principal: Principal, now: () => Date, cache: SummaryCache) => L;
  /** Other subgraphs' event topics this subgraph follows (kept current in the background). */
  subscriptions?: Subscription[];
  /**
   * Periodic jobs the service runs on its own (e.g. escalating overdue orders). They run where
   * events are followed in the background (production), not in tests, which call them directly.
   */
  timers?: { name: string; intervalMs: number; run(orm: MikroORM, now: () => Date, log: Logger): Promise<unknown> }[];
  /** Extra HTTP routes (internal endpoints such as event feeds), checked before /graphql. */
  routes?: (ctx: { orm: MikroORM; log: Logger }) => Record<string, http.RequestListener>;
  /**
   * Largest request body this subgraph reads, in bytes (default DEFAULT_MAX_BODY_BYTES). Only a
   * subgraph that takes files in a request (the members import) raises it.
   */
  maxBodyBytes?: number;
}

/** What a GraphQL request to a subgraph may weigh unless its definition says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 2_000_000;

export interface SubgraphRuntimeOptions {
  databaseUrl: string;
  internalPublicKeyPem: string;
  log: Logger;
  port?: number;
  host?: string;
  clock?: () => Date;
  /** Adds `extensions.trellis.sql` (statements this request ran) to responses; off in production. */
  exposeStats?: boolean;
  poolMax?: number;
  /** Follow subscriptions in the background (default true); tests may drive them by hand. */
  followEvents?: boolean;
  followIntervalMs?: number;
}

export interface RunningSubgraph {
  name: string;
  url: string;
  port: number;
  orm: MikroORM;
  /** One follower per subscription, by topic. */
  followers: Record<string, Follower>;
  close(): Promise<void>;
}

const readBody = (req: http.IncomingMessage, limit: number): Promise<string> =>
  new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) { reject(new Error('body too large')); req.destroy(); } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
};

function statsPlugin(): ApolloServerPlugin<SubgraphContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, trellis: { sql: contextValue.stats.sql } };
          }
        },
      };
    },
  };
}

/**
 * Starts a subgraph: Apollo Server with the Federation schema, behind a small HTTP server that
 * answers /health (process up) and /ready (database reachable), and admits GraphQL calls only
 * with a valid gateway credential for this subgraph.
 */
export async function startSubgraph<L>(def: SubgraphDefinition<L>, opts: SubgraphRuntimeOptions): Promise<RunningSubgraph> {
  const log = opts.log.child({ subgraph: def.name });
  const orm = await createOrm({ url: opts.databaseUrl, entities: def.entities, poolMax: opts.poolMax });
  const verify = await createInternalVerifier(opts.internalPublicKeyPem, def.name);
  const now = opts.clock ?? (() => new Date());
  const summaryCache = createSummaryCache();

  // No cache-control hints are served (the gateway keeps no response cache), and the plugin would
  // otherwise wrap every field resolver of every request.
  const plugins: ApolloServerPlugin<SubgraphContext<L>>[] = [
    transactionPlugin() as ApolloServerPlugin<SubgraphContext<L>>, ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(),
  ];
  if (opts.exposeStats) plugins.push(statsPlugin() as ApolloServerPlugin<SubgraphContext<L>>);
  const apollo = new ApolloServer<SubgraphContext<L>>({
    schema: buildSubgraphSchema([{ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> }]),
    plugins,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, err) => {
      // Typed errors (ours, and Apollo's parse/validation/variable errors) pass through.
      const code = formatted.extensions?.code;
      if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
        const { http: _http, stacktrace: _st, ...extensions } = formatted.extensions ?? {};
        return { ...formatted, extensions };
      }
      // Everything else is mapped once: constraint violations become typed codes; the rest is logged and hidden.
      const original = unwrapResolverError(err);
      const { error, unexpected } = toClientError(original);
      if (unexpected) log.error({ err: original, path: formatted.path }, 'unexpected resolver error');
      const { http: _http, ...extensions } = error.extensions;
      return { message: error.message, path: formatted.path, locations: formatted.locations, extensions };
    },
  });
  await apollo.start();

  const routes = def.routes?.({ orm, log }) ?? {};
  const followers = Object.fromEntries((def.subscriptions ?? []).map((sub) => [sub.topic, createFollower(orm, sub, log)]));
  if (opts.followEvents ?? true) for (const f of Object.values(followers)) f.start(opts.followIntervalMs);
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  if (opts.followEvents ?? true) {
    for (const job of def.timers ?? []) {
      const tick = () => {
        const run = job.run(orm, now, log)
          .catch((err) => log.error({ err, job: job.name }, 'timed job failed; retrying at the next interval'))
          .finally(() => { running.delete(run); });
        running.add(run);
      };
      timers.add(setInterval(tick, job.intervalMs));
    }
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok', subgraph: def.name });
      if (url.pathname === '/ready') {
        try {
          await orm.em.fork().execute('select 1');
          return sendJson(res, 200, { status: 'ready', subgraph: def.name });
        } catch {
          return sendJson(res, 503, { status: 'database unavailable', subgraph: def.name });
        }
      }
      const route = routes[url.pathname];
      if (route) return route(req, res);
      if (url.pathname !== '/graphql') return sendJson(res, 404, { error: 'not found' });

      let call;
      try {
        call = await verify(req.headers.authorization);
      } catch (e) {
        const err = e as GraphQLError;
        return sendJson(res, 401, { errors: [{ message: err.message, extensions: { code: 'UNAUTHENTICATED' } }] });
      }
      const requestId = (req.headers['x-request-id'] as string | undefined) || randomUUID();
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      const raw = req.method === 'POST' ? await readBody(req, def.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) : '';
      let body: unknown;
      try { body = raw ? JSON.parse(raw) : undefined; } catch { return sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON.', extensions: { code: 'BAD_USER_INPUT' } }] }); }
      const stats: RequestStats = { sql: 0 };
      const started = performance.now();
      const result = await requestStats.run(stats, () =>
        apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'POST', headers, search: url.search, body },
          context: async () => {
            const em = orm.em.fork({ session: { variables: sessionVariables(call.principal) } }) as SqlEntityManager;
            return {
              principal: call.principal,
              em,
              loaders: def.createLoaders(em, call.principal, now, summaryCache),
              requestId,
              log: log.child({ requestId }),
              now,
              stats,
              tx: { open: false },
            };
          },
        }),
      );
      log.debug({ requestId, tenant: call.principal.tenantSlug, sub: call.principal.sub, status: result.status ?? 200, sql: stats.sql, ms: Math.round(performance.now() - started) }, 'graphql request');
      for (const [k, v] of result.headers) res.setHeader(k, v);
      res.setHeader('x-request-id', requestId);
      res.statusCode = result.status ?? 200;
      if (result.body.kind === 'complete') res.end(result.body.string);
      else {
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (err) {
      log.error({ err }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal error; it has been logged.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  log.info({ port }, 'subgraph listening');
  return {
    name: def.name,
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    orm,
    followers,
    async close() {
      for (const t of timers) clearInterval(t);
      await Promise.all(running);
      await Promise.all(Object.values(followers).map((f) => f.stop()));
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      await apollo.stop();
      await orm.close(true);
    },
  };
}
