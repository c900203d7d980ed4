import { appDatabaseUrl, createLogger, startSubgraph } from '@trellis/platform';
import { readEnv, userTokenConfig } from '../env.ts';
import { loadDefinition, sdlOf, subgraphCatalogue } from '../catalogue.ts';

/**
 * Runs one service per process, configured from the environment:
 *   node infra/src/cli/serve.ts gateway
 *   node infra/src/cli/serve.ts subgraph <name>
 * Each is stateless (all state is in PostgreSQL), so any number can run behind a load balancer.
 * A process loads only the code it runs: the gateway reads the subgraphs' contracts, a subgraph
 * loads its own package.
 */
const [what, name] = process.argv.slice(2);
const env = readEnv();
const log = createLogger(what === 'gateway' ? 'gateway' : `subgraph-${name}`, env.LOG_LEVEL);
if (!env.DATABASE_URL && what !== 'gateway') throw new Error('DATABASE_URL is required');

let close: () => Promise<void>;
if (what === 'gateway') {
  if (!env.INTERNAL_JWT_PRIVATE_KEY || !env.SUBGRAPH_URLS) throw new Error('the gateway needs INTERNAL_JWT_PRIVATE_KEY and SUBGRAPH_URLS');
  const urls = Object.fromEntries(env.SUBGRAPH_URLS.split(',').map((p) => p.split('=') as [string, string]));
  const { startGateway } = await import('@trellis/gateway');
  const gw = await startGateway({
    subgraphs: subgraphCatalogue.map((m) => ({ name: m.name, url: urls[m.name] ?? `http://127.0.0.1:${m.defaultPort}/graphql`, sdl: sdlOf(m) })),
    userTokens: userTokenConfig(env),
    internalPrivateKeyPem: env.INTERNAL_JWT_PRIVATE_KEY,
    log,
    port: env.GATEWAY_PORT,
    host: env.HOST,
  });
  close = gw.close;
} else {
  const m = subgraphCatalogue.find((s) => s.name === name);
  if (!m) throw new Error(`unknown subgraph "${name}"; one of ${subgraphCatalogue.map((s) => s.name).join(', ')}`);
  if (!env.INTERNAL_JWT_PUBLIC_KEY) throw new Error('a subgraph needs INTERNAL_JWT_PUBLIC_KEY');
  let definition = await loadDefinition(m);
  if (m.name === 'assessment') {
    // Computed assessment indicators read their figures through the gateway (GATEWAY_URL).
    const { assessmentFigures, definitionWithFigures, gatewayUrlFromEnv } = await import('../assessmentFigures.ts');
    definition = definitionWithFigures({ name: m.name, definition }, assessmentFigures({ gatewayUrl: () => gatewayUrlFromEnv(env), userTokens: userTokenConfig(env) }));
  }
  const sg = await startSubgraph(definition, {
    databaseUrl: appDatabaseUrl(env.DATABASE_URL!, m.name, env.DB_APP_PASSWORD),
    internalPublicKeyPem: env.INTERNAL_JWT_PUBLIC_KEY,
    log,
    port: env.SUBGRAPH_PORT ?? m.defaultPort,
    host: env.HOST,
  });
  close = sg.close;
}
process.send?.('ready');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
