export const importMutationResolvers = {};
