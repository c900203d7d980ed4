import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { badInput, forbidden, sqlArray, type Principal } from '@trellis/platform';
import { UnitKind } from '../entities.ts';

export interface UnitKindInput { code: string; name: string; allowedParents: string[]; special?: boolean | null; defaultForm?: string | null }

/**
 * Tenant configuration of the tree's kinds. Changing where a kind may sit is refused while
 * units placed under the old rule exist, so the tree never contradicts its own configuration.
 */
export async function configureKind(em: SqlEntityManager, principal: Principal, input: UnitKindInput): Promise<string> {
  if (principal.role !== 'CITY_ADMIN') throw forbidden('Only a city (or county) administrator can change the unit kinds of the tenant.');
  const code = input.code.trim();
  if (!/^[A-Z][A-Z_]{1,40}$/.test(code)) throw badInput('code: use 2–41 upper-case letters and underscores, e.g. SERVICE_STATION.', 'code');
  const name = input.name.trim();
  if (!name || name.length > 50) throw badInput('name: must be 1–50 characters.', 'name');
  const known = new Set((await em.find(UnitKind, {})).map((k) => k.code));
  const unknown = input.allowedParents.filter((p) => p !== code && !known.has(p));
  if (unknown.length) throw badInput(`allowedParents: unknown kind(s) ${unknown.join(', ')}; define them first.`, 'allowedParents');
  const misplaced = await em.execute<{ n: number }[]>(
    `select count(*)::int as n from organisation.org_unit u left join organisation.org_unit p on p.id = u.parent_id
      where u.kind = ? and u.status = 'ACTIVE' and (case when u.parent_id is null then cardinality(?::text[]) > 0 else not (p.kind = any(?::text[])) end)`,
    [code, sqlArray(input.allowedParents), sqlArray(input.allowedParents)],
  );
  if (misplaced[0]!.n > 0) throw badInput(`allowedParents: ${misplaced[0]!.n} active ${code} unit(s) sit where the new rule forbids; move them first.`, 'allowedParents');
  await em.execute(
    `insert into organisation.unit_kind (code, name, allowed_parents, special, default_form, sort)
     values (?, ?, ?::text[], ?, ?, (select coalesce(max(sort), 0) + 1 from organisation.unit_kind))
     on conflict (tenant_id, code) do update set name = excluded.name, allowed_parents = excluded.allowed_parents,
       special = excluded.special, default_form = excluded.default_form`,
    [code, name, sqlArray(input.allowedParents), input.special ?? false, input.defaultForm ?? 'COMMITTEE'],
  );
  return code;
}
