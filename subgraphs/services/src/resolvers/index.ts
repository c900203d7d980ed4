import type { Resolvers } from '../generated/resolvers.ts';
import { listMutations, listQueries } from './lists.ts';
import { matchingQueries } from './matching.ts';
import { orderMutations } from './orders.ts';
import { queryResolvers, typeResolvers } from './types.ts';
import { wishMutations } from './wishes.ts';

/** Checked against the contract (schema.graphql) by the generated types. */
export const resolvers: Resolvers = {
  ...typeResolvers,
  Query: { ...queryResolvers, ...listQueries, ...matchingQueries },
  Mutation: { ...orderMutations, ...wishMutations, ...listMutations },
};
