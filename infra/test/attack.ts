import {
  buildClientSchema, getIntrospectionQuery, getNamedType, getNullableType, isEnumType, isInputObjectType, isListType, isNonNullType,
  isObjectType, isScalarType, isAbstractType, type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLSchema, type IntrospectionQuery,
} from 'graphql';
import { gql } from '@trellis/platform/testkit/index.ts';

/**
 * Builds attack operations from the composed schema itself, so every field a subgraph adds is
 * attacked without anyone writing a test for it.
 */
export async function composedSchema(url: string, token: string): Promise<GraphQLSchema> {
  const r = await gql<IntrospectionQuery>(url, token, getIntrospectionQuery());
  if (!r.data) throw new Error(`introspection failed: ${JSON.stringify(r.errors)}`);
  return buildClientSchema(r.data);
}

const hasIdArg = (f: GraphQLField<unknown, unknown>) => f.args.some((a) => getNamedType(a.type).name === 'ID');

/** A literal for an argument: every ID is the foreign id; other required values are plausible. */
function literal(type: GraphQLInputType, foreignId: string, depth = 0): string {
  if (isNonNullType(type)) return literal(type.ofType, foreignId, depth);
  if (isListType(type)) return `[${literal(type.ofType, foreignId, depth)}]`;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    if (depth > 3) return '{}';
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) || getNamedType(f.type).name === 'ID');
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type, foreignId, depth + 1)}`).join(', ')} }`;
  }
  switch (type.name) {
    case 'ID': return JSON.stringify(foreignId);
    case 'Int': return '1';
    case 'Float': return '1.5';
    case 'Boolean': return 'true';
    case 'Date': return '"2026-06-01"';
    case 'DateTime': return JSON.stringify(new Date().toISOString());
    default: return '"探测"';
  }
}

function args(field: GraphQLField<unknown, unknown>, foreignId: string): string {
  const used = field.args.filter((a: GraphQLArgument) => isNonNullType(a.type) || getNamedType(a.type).name === 'ID');
  return used.length ? `(${used.map((a) => `${a.name}: ${literal(a.type, foreignId)}`).join(', ')})` : '';
}

function selection(field: GraphQLField<unknown, unknown>): string {
  const named = getNamedType(field.type);
  if (isScalarType(named) || isEnumType(named)) return '';
  if (isAbstractType(named)) return '{ __typename }';
  if (isObjectType(named)) return named.getFields().id ? '{ __typename id }' : '{ __typename }';
  return '';
}

export interface Attack { field: string; operation: string; returnsList: boolean }

/** One operation per root field of `kind` that takes an ID, with the foreign id in every ID. */
export function attacks(schema: GraphQLSchema, kind: 'query' | 'mutation', foreignId: string): Attack[] {
  const root = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
  if (!root) return [];
  return Object.values(root.getFields())
    .filter((f) => !f.name.startsWith('_') && hasIdArg(f))
    .map((f) => ({
      field: f.name,
      returnsList: isListType(getNullableType(f.type)),
      operation: `${kind} { ${f.name}${args(f, foreignId)} ${selection(f)} }`,
    }));
}
