import { readFileSync, writeFileSync } from 'node:fs';
import { composeSupergraph, productSubgraphs, readSubgraphSdl, type SubgraphSource } from '../compose.ts';

/**
 * `npm run compose [-- --out supergraph.graphql]`: composes the product subgraphs' contracts and
 * prints the supergraph SDL (or writes it), failing with every composition error. Integrators run
 * it with their own subgraph's schema added (`--add name=path/to/schema.graphql`) to check that
 * their extension composes before they deploy it.
 */

const args = process.argv.slice(2);
const option = (name: string) => {
  const values: string[] = [];
  args.forEach((a, i) => { if (a === name && args[i + 1]) values.push(args[i + 1]!); });
  return values;
};
const sources: SubgraphSource[] = productSubgraphs.map((name) => ({ name, url: `http://${name}.invalid/graphql`, sdl: readSubgraphSdl(name) }));
for (const extra of option('--add')) {
  const [name, file] = extra.split('=');
  if (!name || !file) {
    console.error(`--add expects name=path, got "${extra}"`);
    process.exit(2);
  }
  sources.push({ name, url: `http://${name}.invalid/graphql`, sdl: readFileSync(file, 'utf8') });
}
try {
  const sdl = composeSupergraph(sources);
  const [out] = option('--out');
  if (out) {
    writeFileSync(out, sdl);
    console.error(`supergraph of ${sources.length} subgraphs written to ${out}`);
  } else {
    process.stdout.write(sdl);
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
