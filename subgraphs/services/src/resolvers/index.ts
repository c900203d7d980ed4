import { listMutations, listQueries } from './lists.ts';
import { matchingQueries } from './matching.ts';
import { orderMutations } from './orders.ts';
import { queryResolvers, typeResolvers } from './types.ts';
import { wishMutations } from './wishes.ts';

export const resolvers = {
  ...typeResolvers,
  Query: { ...queryResolvers, ...listQueries, ...matchingQueries },
  Mutation: { ...orderMutations, ...wishMutations, ...listMutations },
};
