import type pg from 'pg';
import { copyRows } from '../db/copy.ts';
import type { SeedInput } from './contract.ts';

/**
 * Fills a subgraph's copy of the unit tree (`<schema>.unit_path`) straight from the generated
 * tree instead of replaying one event per unit, and puts both its cursor and its event follower's
 * subscription where the organisation stream stands, so followers resume after the seed. Runs
 * inside the caller's transaction with the tenant set.
 */
export async function seedUnitCopy(client: pg.Client, schema: 'members' | 'services' | 'assessment', input: SeedInput): Promise<void> {
  const { tenantId, organisationSeq } = input;
  await client.query(`create temp table seed_unit_copy (unit_id uuid, parent_id uuid, kind text, name text, path text) on commit drop`);
  await copyRows(client, 'seed_unit_copy', ['unit_id', 'parent_id', 'kind', 'name', 'path'],
    (function* () { for (const u of input.units) yield [u.id, u.parentId, u.kind, u.name, u.path]; })(), input.progress);
  await client.query(
    `insert into ${schema}.unit_path as u (tenant_id, unit_id, parent_id, kind, name, status, path, last_seq)
     select $1, unit_id, parent_id, kind, name, 'ACTIVE', path::ltree, $2 from seed_unit_copy
     on conflict (tenant_id, unit_id) do update set parent_id = excluded.parent_id, kind = excluded.kind, name = excluded.name,
       status = excluded.status, path = excluded.path, last_seq = greatest(u.last_seq, excluded.last_seq)`, [tenantId, organisationSeq]);
  await client.query(
    `insert into ${schema}.unit_event_cursor as c (tenant_id, last_seq) values ($1, $2)
     on conflict (tenant_id) do update set last_seq = greatest(c.last_seq, excluded.last_seq), updated_at = now()`, [tenantId, organisationSeq]);
  await client.query(
    `insert into events.subscription as s (subscriber, topic, tenant_id, last_seq) values ($1, 'organisation', $2, $3)
     on conflict (subscriber, topic, tenant_id) do update set last_seq = greatest(s.last_seq, excluded.last_seq), updated_at = now()`,
    [schema, tenantId, organisationSeq]);
}
