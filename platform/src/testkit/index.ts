export * from './database.ts';
export * from './graphql.ts';
export * from './plan.ts';
