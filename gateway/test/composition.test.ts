import { describe, expect, it } from '@jest/globals';
import { Kind, parse } from 'graphql';
import { composeSupergraph, productSubgraphs, readSubgraphSdl, CompositionError } from '../src/compose.ts';

const sources = (): { name: string; url: string; sdl: string }[] => productSubgraphs.map((name) => ({ name, url: `http://${name}.invalid/graphql`, sdl: readSubgraphSdl(name) }));

describe('supergraph composition', () => {
  it('composes every product subgraph into one supergraph', () => {
    const sdl = composeSupergraph(sources());
    for (const name of productSubgraphs) expect(sdl).toContain(`name: "${name}"`);
    expect(sdl).toMatch(/type OrgUnit[^{]*@join__type\(graph: ORGANISATION, key: "id"\)/);
    expect(sdl).toMatch(/type Member[^{]*@join__type\(graph: MEMBERS, key: "id"\)/);
  });

  it('fails with the conflicting field named when two subgraphs disagree', () => {
    const broken = sources();
    broken.push({ name: 'rogue', url: 'http://rogue.invalid/graphql', sdl: 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\ntype OrgUnit @key(fields: "id") { id: ID! name: Int! }' });
    expect(() => composeSupergraph(broken)).toThrow(CompositionError);
    expect(() => composeSupergraph(broken)).toThrow(/OrgUnit\.name/);
  });

  it('every type, field, argument-free input field and enum of every subgraph contract carries a description', () => {
    for (const name of productSubgraphs) {
      const missing: string[] = [];
      for (const def of parse(readSubgraphSdl(name)).definitions) {
        if (!('name' in def) || !def.name || def.kind === Kind.DIRECTIVE_DEFINITION) continue;
        const typeName = def.name.value;
        const isRoot = typeName === 'Query' || typeName === 'Mutation';
        if (!isRoot && !('description' in def && def.description)) missing.push(typeName);
        if ('fields' in def && def.fields) for (const f of def.fields) if (!f.description) missing.push(`${typeName}.${f.name.value}`);
      }
      expect({ name, missing }).toEqual({ name, missing: [] });
    }
  });
});
