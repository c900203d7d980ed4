import type pg from 'pg';

/**
 * The contract between the bulk generator (`npm run seed`, infra/src/seed) and each subgraph's
 * `src/seed.ts`. The driver generates the tree and calls organisation → members → services and
 * assessment (these two on their own connections, once the members are loaded); each seed writes
 * only its own schema, fills its own copy of the unit tree from `units`, and leaves its rollups
 * exact.
 */
export interface SeedUnit {
  id: string;
  parentId: string | null;
  kind: string;
  /** The unit's ancestry as organisation stores it: ltree of hyphenless unit ids. */
  path: string;
  depth: number;
  name: string;
  /** Organisation form; the kind's default when absent. */
  form?: string;
}

export interface SeedMember { id: string; orgUnitId: string; categories: string[]; reportedInCommunity: string | null; birthDate: string; stage: string }

export interface SeedInput {
  /** Administrative connection, no transaction open. */
  client: pg.Client;
  tenantId: string;
  /** The same seed gives the same data. */
  seed: number;
  /** The generator's clock. */
  now: Date;
  profile: 'demo' | 'district' | 'city-1m';
  /** The tenant's whole tree, parents before children. */
  units: SeedUnit[];
  /** Every member generated so far (empty for the organisation seed). */
  members: SeedMember[];
  /** The tenant's latest seq on the organisation topic: where unit-copy cursors start. */
  organisationSeq: number;
  /** Rows written since the last call (drives the progress bar). */
  progress: (rows: number) => void;
  /** The tenant record to create (only the organisation seed creates tenants). */
  tenant?: { slug: string; name: string; kind: 'CITY' | 'COUNTY' };
  /** Members seed: how many members to generate (default by profile). */
  memberCount?: number;
  /** Members seed: first six ID-number digits of the first district; later districts count up (default 420102). */
  regionCode?: number;
  /**
   * Another connection to the same database, for a part of the load that can run beside the rest
   * in its own transaction (the members seed loads dues payments on it); the seed ends it.
   */
  connect?: () => Promise<pg.Client>;
  /** false: the seed leaves its tables' statistics to the caller (the driver analyzes every table once, after all tenants). */
  analyze?: boolean;
  /**
   * Members seed: called with every generated member once they are loaded, before the ledgers and
   * summaries: later seeds need no more than that and may start on other connections meanwhile.
   */
  onMembers?: (members: SeedMember[]) => void;
}
