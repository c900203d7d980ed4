export * from './compose.ts';
export * from './server.ts';
export * from './auth.ts';
