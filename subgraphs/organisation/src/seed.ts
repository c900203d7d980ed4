// Bulk generator entry point of the organisation subgraph (`npm run seed`): writes a generated
// tenant's tree straight into this subgraph's tables and builds what the row triggers would have
// built one unit at a time — history versions, the org_unit.changed events on the platform
// stream, and the unit-count rollup — in a few set-based statements.
import { copyRows } from '@trellis/platform/db/copy.ts';
import { defaultKinds } from './domain/defaultKinds.ts';

import type { SeedInput, SeedMember, SeedUnit } from '@trellis/platform/seed/contract.ts';

export type { SeedInput, SeedMember, SeedUnit };

/** When generated organisations were founded: the start of their recorded history. */
export const foundedAt = (now: Date) => new Date(Date.UTC(now.getUTCFullYear() - 8, 0, 1));

export async function seed(input: SeedInput): Promise<void> {
  const { client, tenantId, units } = input;
  if (!input.tenant) throw new Error('the organisation seed needs the tenant record (slug, name, kind)');
  const kinds = defaultKinds(input.tenant.kind);
  const defaultForm = new Map(kinds.map((k) => [k.code, k.defaultForm]));
  const founded = foundedAt(input.now).toISOString();
  await client.query('BEGIN');
  try {
    await client.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    // Row triggers (history, events, rollup, foreign-key checks) are replaced below by set-based
    // statements over the whole tree; the generated rows are consistent by construction.
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query('insert into organisation.tenant (id, slug, name, kind, created_at) values ($1, $2, $3, $4, $5)',
      [tenantId, input.tenant.slug, input.tenant.name, input.tenant.kind, founded]);
    await client.query(
      `insert into organisation.unit_kind (tenant_id, code, name, allowed_parents, special, default_form, sort)
       select $1, code, name, parents::text[], special, form, ord - 1
         from unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[]) with ordinality as k(code, name, parents, special, form, ord)`,
      [tenantId, kinds.map((k) => k.code), kinds.map((k) => k.name), kinds.map((k) => `{${k.allowedParents.join(',')}}`),
        kinds.map((k) => k.special ?? false), kinds.map((k) => k.defaultForm)]);

    await client.query('create temp table seed_org_unit (id uuid, parent_id uuid, kind text, form text, name text, path text, depth int) on commit drop');
    await copyRows(client, 'seed_org_unit', ['id', 'parent_id', 'kind', 'form', 'name', 'path', 'depth'],
      (function* () { for (const u of units) yield [u.id, u.parentId, u.kind, u.form ?? defaultForm.get(u.kind) ?? 'BRANCH', u.name, u.path, u.depth]; })(),
      input.progress);
    await client.query(
      `insert into organisation.org_unit (id, tenant_id, parent_id, kind, form, name, path, created_at)
       select id, $1, parent_id, kind, form, name, path::ltree, $2 from seed_org_unit order by depth`, [tenantId, founded]);
    await client.query(
      `insert into organisation.org_unit_version (tenant_id, unit_id, name, kind, form, parent_id, status, change, valid_from)
       select $1, id, name, kind, form, parent_id, 'ACTIVE', 'CREATED', $2 from seed_org_unit order by depth`, [tenantId, founded]);
    // The event stream tells followers about every unit, parents first, exactly as one
    // org_unit.changed per insert would have; the counter makes the next publish continue after them.
    const base = Number((await client.query<{ s: string }>(`select coalesce(max(last_seq), 0)::text as s from events.counter where topic = 'organisation' and tenant_id = $1`, [tenantId])).rows[0]!.s);
    await client.query(
      `insert into events.stream (topic, tenant_id, seq, type, payload, occurred_at)
       select 'organisation', $1, $2 + row_number() over (order by depth, id), 'org_unit.changed',
              jsonb_build_object('id', id, 'parentId', parent_id, 'kind', kind, 'name', name, 'status', 'ACTIVE', 'path', path, 'change', 'CREATED'), $3
         from seed_org_unit`, [tenantId, base, founded]);
    await client.query(
      `insert into events.counter (topic, tenant_id, last_seq) values ('organisation', $1, $2)
         on conflict (topic, tenant_id) do update set last_seq = excluded.last_seq`, [tenantId, base + units.length]);
    // Active descendants by kind for every ancestor (what unit_count_track maintains per statement).
    await client.query('delete from organisation.unit_count_rollup where tenant_id = $1', [tenantId]);
    await client.query(
      `insert into organisation.unit_count_rollup (tenant_id, ancestor_id, kind, count)
       select $1, a.label::uuid, u.kind, count(*)
         from seed_org_unit u cross join lateral unnest(string_to_array(u.path, '.')) with ordinality as a(label, n)
        where a.n < u.depth + 1
        group by 2, 3`, [tenantId]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
  if (input.analyze !== false) await client.query('analyze organisation.org_unit; analyze organisation.unit_count_rollup; analyze organisation.org_unit_version');
}
