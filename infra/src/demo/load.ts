import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { appRole, unitLabel } from '@trellis/platform';
import { defaultKinds } from '@trellis/organisation';
import { demoTenants, type DemoTenant, type DemoUnit } from './tree.ts';

/** When the demo organisations were founded (the start of their recorded history). */
const FOUNDED = '2018-01-01T00:00:00Z';

export interface LoadedTenant { id: string; slug: string; rootId: string; unitIds: Map<string, string> }

/**
 * Loads one demo tenant through the organisation schema inside one transaction with the
 * tenant's setting, so it works whether or not the connecting role bypasses row-level security.
 */
export async function loadTenant(client: pg.Client, t: DemoTenant): Promise<LoadedTenant> {
  const tenantId = randomUUID();
  const unitIds = new Map<string, string>();
  await client.query('BEGIN');
  try {
    await client.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    // Write as the organisation service would: its policies, triggers and event topic apply.
    await client.query(`SET LOCAL ROLE ${appRole('organisation')}`);
    // The demo tree has existed for years: its history starts at its founding date.
    await client.query(`select set_config('app.effective_from', $1, true)`, [FOUNDED]);
    await client.query('insert into organisation.tenant (id, slug, name, kind) values ($1, $2, $3, $4)', [tenantId, t.slug, t.name, t.kind]);
    for (const [i, k] of defaultKinds(t.kind).entries()) {
      await client.query(
        'insert into organisation.unit_kind (tenant_id, code, name, allowed_parents, special, default_form, sort) values ($1, $2, $3, $4, $5, $6, $7)',
        [tenantId, k.code, k.name, k.allowedParents, k.special ?? false, k.defaultForm, i],
      );
    }
    // Breadth-first rows, inserted in one statement per level.
    let level: { unit: DemoUnit; parentId: string | null; parentPath: string | null; key: string }[] = [{ unit: t.root, parentId: null, parentPath: null, key: t.root.name }];
    while (level.length) {
      const ids = level.map(() => randomUUID());
      const paths = level.map((l, i) => (l.parentPath ? `${l.parentPath}.${unitLabel(ids[i]!)}` : unitLabel(ids[i]!)));
      await client.query(
        `insert into organisation.org_unit (id, tenant_id, parent_id, kind, form, name, path)
         select id, $1, parent_id, kind, form, name, path::ltree
           from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[]) as u(id, parent_id, kind, form, name, path)`,
        [tenantId, ids, level.map((l) => l.parentId), level.map((l) => l.unit.kind), level.map((l) => l.unit.form), level.map((l) => l.unit.name), paths],
      );
      level.forEach((l, i) => unitIds.set(l.key, ids[i]!));
      level = level.flatMap((l, i) => (l.unit.children ?? []).map((c) => ({ unit: c, parentId: ids[i]!, parentPath: paths[i]!, key: `${l.key}/${c.name}` })));
    }
    const byName = new Map<string, string>();
    for (const [key, id] of unitIds) byName.set(key.split('/').pop()!, id);
    const stationed = new Map<string, string>();
    for (const s of t.stationedUnits) {
      const located = byName.get(s.communityName);
      if (!located) continue;
      const id = randomUUID();
      stationed.set(s.name, id);
      await client.query('insert into organisation.stationed_unit (id, tenant_id, name, category, located_in) values ($1, $2, $3, $4, $5)', [id, tenantId, s.name, s.category, located]);
      await client.query(
        'insert into organisation.co_building_agreement (tenant_id, stationed_unit_id, partner_id, signed_on, pledges) values ($1, $2, $3, $4, $5)',
        [tenantId, id, located, '2026-01-15', s.pledges.length ? s.pledges : ['共建共享']],
      );
    }
    for (const c of t.bigCommittees) {
      const host = byName.get(c.hostName);
      if (!host) continue;
      const committeeId = randomUUID();
      await client.query('insert into organisation.big_committee (id, tenant_id, host_id, name) values ($1, $2, $3, $4)', [committeeId, tenantId, host, c.name]);
      for (const name of c.memberUnitNames) {
        const sid = stationed.get(name);
        if (sid) await client.query('insert into organisation.big_committee_unit (committee_id, stationed_unit_id, tenant_id) values ($1, $2, $3)', [committeeId, sid, tenantId]);
      }
      for (const m of c.partTimeMembers) {
        const sid = stationed.get(m.stationedUnitName);
        if (!sid || !c.memberUnitNames.includes(m.stationedUnitName)) continue;
        await client.query(
          `insert into organisation.part_time_member (tenant_id, committee_id, person_name, stationed_unit_id, position, status, appointed_on)
           values ($1, $2, $3, $4, $5, 'APPOINTED', '2026-03-01')`,
          [tenantId, committeeId, m.personName, sid, m.position],
        );
      }
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
  return { id: tenantId, slug: t.slug, rootId: unitIds.get(t.root.name)!, unitIds };
}

/** Loads every demo tenant whose slug is not there yet. */
export async function loadDemo(adminUrl: string, only?: string[]): Promise<LoadedTenant[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const out: LoadedTenant[] = [];
    for (const t of demoTenants()) {
      if (only && !only.includes(t.slug)) continue;
      out.push(await loadTenant(client, t));
    }
    return out;
  } finally {
    await client.end();
  }
}
