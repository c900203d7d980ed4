import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';

/** Reads a subgraph's schema.graphql (the contract) next to the calling module. */
export function loadSchema(url: URL): { sdl: string; typeDefs: DocumentNode } {
  const sdl = readFileSync(url, 'utf8');
  return { sdl, typeDefs: parse(sdl) };
}
