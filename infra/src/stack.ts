import { appDatabaseUrl, startSubgraph, type Logger, type RunningSubgraph, type UserTokenConfig } from '@trellis/platform';
import { startGateway, type RunningGateway } from '@trellis/gateway';
import { assessmentFigures, definitionWithFigures } from './assessmentFigures.ts';
import { subgraphModules } from './subgraphs.ts';

export interface StackOptions {
  adminUrl: string;
  appPassword: string;
  internalKeys: { privateKeyPem: string; publicKeyPem: string };
  userTokens: UserTokenConfig;
  log: Logger;
  clock?: () => Date;
  exposeStats?: boolean;
  deduplicateInbound?: boolean;
  /** Follow event subscriptions in the background (default true); tests drive followers by hand. */
  followEvents?: boolean;
  /** Fixed ports (npm start); 0 or absent = any free port (tests). */
  ports?: { gateway?: number; subgraphs?: Record<string, number> };
}

export interface RunningStack { gateway: RunningGateway; subgraphs: RunningSubgraph[]; close(): Promise<void> }

/** All subgraphs and the gateway in one process: what the end-to-end tests run against. */
export async function startStack(opts: StackOptions): Promise<RunningStack> {
  const subgraphs: RunningSubgraph[] = [];
  // Assessment reads figures for computed indicators through the gateway, whose URL is known
  // only once it runs: the source reads it lazily.
  let gatewayUrl: string | undefined;
  const metrics = assessmentFigures({
    gatewayUrl: () => {
      if (!gatewayUrl) throw new Error('The gateway is not running yet.');
      return gatewayUrl;
    },
    userTokens: opts.userTokens,
  });
  try {
    for (const m of subgraphModules) {
      subgraphs.push(await startSubgraph(definitionWithFigures(m, metrics), {
        databaseUrl: appDatabaseUrl(opts.adminUrl, m.name, opts.appPassword),
        internalPublicKeyPem: opts.internalKeys.publicKeyPem,
        log: opts.log,
        port: opts.ports?.subgraphs?.[m.name] ?? 0,
        clock: opts.clock,
        exposeStats: opts.exposeStats,
        followEvents: opts.followEvents,
      }));
    }
    const gateway = await startGateway({
      subgraphs: subgraphModules.map((m, i) => ({ name: m.name, url: subgraphs[i]!.url, sdl: m.sdl })),
      userTokens: opts.userTokens,
      internalPrivateKeyPem: opts.internalKeys.privateKeyPem,
      log: opts.log,
      port: opts.ports?.gateway ?? 0,
      deduplicateInbound: opts.deduplicateInbound,
    });
    gatewayUrl = gateway.url;
    return {
      gateway,
      subgraphs,
      async close() {
        await gateway.close();
        await Promise.all(subgraphs.map((s) => s.close()));
      },
    };
  } catch (e) {
    await Promise.all(subgraphs.map((s) => s.close().catch(() => {})));
    throw e;
  }
}
