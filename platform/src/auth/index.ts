export * from './principal.ts';
export * from './userTokens.ts';
export * from './internalTokens.ts';
