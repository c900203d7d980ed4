import { randomUUID } from 'node:crypto';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError } from 'graphql';
import type { Logger, Principal } from '@trellis/platform';

export interface GatewayAuthContext { principal?: Principal; requestId?: string }

/**
 * Verifies the caller's JWT before anything executes; a request without a valid token gets
 * UNAUTHENTICATED (HTTP 401). Then, for every subgraph call the plan makes, attaches a
 * credential for that one subgraph carrying the verified principal, and the request id.
 * The credential names the principal, the request id the request (the subgraph logs it).
 */
export function useTrellisAuth(opts: {
  verifyUser: (token: string) => Promise<Principal>;
  signInternal: (subgraph: string, principal: Principal) => Promise<string>;
  log: Logger;
}): GatewayPlugin<GatewayAuthContext> {
  return {
    async onContextBuilding({ context, extendContext }) {
      const header = context.request.headers.get('authorization');
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      if (!token) {
        throw new GraphQLError('Authentication required: send "Authorization: Bearer <token>" (npm run token prints a development token).', {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
        });
      }
      let principal: Principal;
      try {
        principal = await opts.verifyUser(token);
      } catch (e) {
        throw new GraphQLError((e as Error).message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      }
      const requestId = context.request.headers.get('x-request-id') ?? randomUUID();
      extendContext({ principal, requestId });
      opts.log.debug({ requestId, tenant: principal.tenantSlug, sub: principal.sub, role: principal.role }, 'authenticated');
    },
    async onSubgraphExecute({ subgraphName, executionRequest, setExecutionRequest }) {
      const ctx = executionRequest.context as GatewayAuthContext | undefined;
      if (!ctx?.principal) throw new GraphQLError('No verified principal for a subgraph call.', { extensions: { code: 'UNAUTHENTICATED' } });
      const credential = await opts.signInternal(subgraphName, ctx.principal);
      const extensions = executionRequest.extensions ?? {};
      setExecutionRequest({
        ...executionRequest,
        extensions: {
          ...extensions,
          headers: { ...(extensions.headers ?? {}), authorization: `Bearer ${credential}`, 'x-request-id': ctx.requestId ?? '' },
        },
      });
    },
  };
}
