/**
 * Database roles. One owner role holds every table (migrations run as it); each subgraph
 * connects as its own login role that owns nothing, is neither superuser nor BYPASSRLS, and is
 * granted only its own schema — so row-level security always applies to the services, and a
 * subgraph physically cannot read another subgraph's tables.
 */
export const OWNER_ROLE = 'trellis_owner';

export const SUBGRAPHS = ['organisation', 'members', 'services', 'assessment'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

export const appRole = (subgraph: string) => `trellis_${subgraph}`;

/** Connection URL for a subgraph's role, derived from the administrative URL. */
export function appDatabaseUrl(adminUrl: string, subgraph: string, password: string): string {
  const u = new URL(adminUrl);
  u.username = appRole(subgraph);
  u.password = password;
  return u.toString();
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
