import http from 'node:http';
import { GraphQLError } from 'graphql';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { createInternalSigner, createUserTokenVerifier, type Logger, type UserTokenConfig } from '@trellis/platform';
import { composeSupergraph, type SubgraphSource } from './compose.ts';
import { useTrellisAuth } from './auth.ts';

export interface GatewayOptions {
  subgraphs: SubgraphSource[];
  userTokens: UserTokenConfig;
  internalPrivateKeyPem: string;
  log: Logger;
  port?: number;
  host?: string;
  /** Share identical in-flight requests of the same caller (the key includes the Authorization header). */
  deduplicateInbound?: boolean;
}

export interface RunningGateway { url: string; port: number; supergraphSdl: string; close(): Promise<void> }

/**
 * Hive Gateway (MIT) with the Rust query planner, serving the supergraph composed from the
 * subgraphs' contracts. See the README for why this gateway.
 */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const supergraphSdl = composeSupergraph(opts.subgraphs);
  const verifyUser = createUserTokenVerifier(opts.userTokens);
  const signInternal = await createInternalSigner(opts.internalPrivateKeyPem);
  const log = opts.log.child({ component: 'gateway' });

  const runtime = createGatewayRuntime({
    supergraph: supergraphSdl,
    unifiedGraphHandler,
    logging: false,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    readinessCheckEndpoint: '/ready',
    landingPage: false,
    // Unexpected gateway errors are logged with the request id and hidden from the caller.
    maskedErrors: {
      maskError(error: unknown, message: string) {
        const original = (error as { originalError?: unknown }).originalError ?? error;
        if (original instanceof GraphQLError && original.extensions?.code) return original;
        // Variables that do not fit their types (a required input field left out, a wrong enum
        // value) fail before anything runs, as a GraphQLError of its own, without a code.
        if (error instanceof GraphQLError && /^Variable "\$[^"]*" got invalid value/.test(error.message)) {
          return new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' } });
        }
        log.error({ err: original }, 'unexpected gateway error');
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    graphiql: { title: 'Trellis' },
    // Subgraph errors keep their own codes (NOT_FOUND, FORBIDDEN …); the gateway only adds the subgraph name.
    subgraphErrors: { errorCode: false, subgraphNameProp: 'subgraph' },
    inboundInflightRequestDeduplication: opts.deduplicateInbound ?? false,
    // Outbound deduplication could never share a subgraph call here (each carries its request's
    // id), yet it deep-copied every subgraph response for the sharing it might have done.
    transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },
    requestId: { headerName: 'x-request-id' },
    plugins: () => [useTrellisAuth({ verifyUser, signInternal, log })],
  });

  const server = http.createServer(runtime);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  log.info({ port }, 'gateway listening');
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    supergraphSdl,
    async close() {
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      await runtime[Symbol.asyncDispose]();
    },
  };
}
