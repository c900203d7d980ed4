import { randomUUID } from 'node:crypto';
import { badInput, isUuid, notFound, requireScope, sqlArray } from '@trellis/platform';
import { afterWrite, type Context } from '../context.ts';
import { catalogueColumns } from '../domain/catalogue.ts';
import { CATEGORY_COLUMNS, PROJECT_COLUMNS, RESOURCE_COLUMNS, type CategoryRow, type ProjectRow, type ResourceRow, type WishState } from '../loaders.ts';
import { requireCategory, requireUnit, text } from './orders.ts';

interface CategoryInput { parentId?: string | null; code: string; name: string; responseHours?: number | null; completionHours?: number | null }
interface ResourceInput {
  providerKind: 'MEMBER' | 'STATIONED_UNIT'; memberId?: string | null; stationedUnitId?: string | null; providerName: string; unitId: string;
  servesUnitId?: string | null; categoryIds: string[]; capacity?: number | null; weekdays?: number[] | null; fromHour?: number | null; toHour?: number | null; description?: string | null;
}
interface ProjectInput { name: string; description?: string | null; leadUnitId: string; supportingUnitIds?: string[] | null; ownerName: string; deadline: Date | string }

const day = (v: Date | string): string => (v instanceof Date ? v.toISOString().slice(0, 10) : v);
const catalogue = (ctx: Context) => ctx.em.execute<CategoryRow[]>(`select ${CATEGORY_COLUMNS} from services.category c order by c.level, c.sort, c.code`);

/** Validates the mutually exclusive pair: exactly the id that matches the provider kind. */
function providerIds(input: ResourceInput): { memberId: string | null; stationedUnitId: string | null } {
  if (input.providerKind === 'MEMBER') {
    if (!input.memberId || !isUuid(input.memberId) || input.stationedUnitId) throw badInput('A MEMBER offer needs memberId (and no stationedUnitId).', 'input.memberId');
    return { memberId: input.memberId, stationedUnitId: null };
  }
  if (!input.stationedUnitId || !isUuid(input.stationedUnitId) || input.memberId) throw badInput('A STATIONED_UNIT offer needs stationedUnitId (and no memberId).', 'input.stationedUnitId');
  return { memberId: null, stationedUnitId: input.stationedUnitId };
}

export const listQueries = {
  async serviceCatalogue(_: unknown, __: unknown, ctx: Context) {
    requireScope(ctx.principal, 'services:read');
    return catalogue(ctx);
  },
  async resources(_: unknown, { unitId }: { unitId: string }, ctx: Context) {
    requireScope(ctx.principal, 'services:read');
    await requireUnit(ctx, unitId, 'read');
    return ctx.em.execute<ResourceRow[]>(
      `select ${RESOURCE_COLUMNS} from services.resource r join services.unit_path u on u.unit_id = ?
        where r.serves_path @> u.path or r.serves_path <@ u.path order by r.provider_name, r.id`, [unitId]);
  },
  async projects(_: unknown, { unitId }: { unitId: string }, ctx: Context) {
    requireScope(ctx.principal, 'services:read');
    await requireUnit(ctx, unitId, 'read');
    return ctx.em.execute<ProjectRow[]>(
      `select ${PROJECT_COLUMNS} from services.project p join services.unit_path u on u.unit_id = ? where p.lead_path <@ u.path order by p.deadline, p.id`, [unitId]);
  },
  async microWishes(_: unknown, { unitId, state, first }: { unitId: string; state?: WishState | null; first: number }, ctx: Context) {
    requireScope(ctx.principal, 'services:read');
    if (!Number.isInteger(first) || first < 1 || first > 200) throw badInput('`first` must be between 1 and 200.', 'first');
    await requireUnit(ctx, unitId, 'read');
    return ctx.loaders.unitWishes.load({ owner: unitId, args: { first, state: state ?? null } });
  },
};

export const listMutations = {
  async installDefaultServiceCatalogue(_: unknown, __: unknown, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const existing = await catalogue(ctx);
    if (existing.length) return existing;
    const c = catalogueColumns(randomUUID);
    await ctx.em.execute(
      `insert into services.category (tenant_id, id, parent_id, level, code, name, response_hours, completion_hours, sort)
       select ?::uuid, * from unnest(?::uuid[], ?::uuid[], ?::smallint[], ?::text[], ?::text[], ?::int[], ?::int[], ?::int[])`,
      [ctx.principal.tenantId, sqlArray(c.ids), `{${c.parents.map((p) => p ?? 'NULL').join(',')}}`, `{${c.levels.join(',')}}`, sqlArray(c.codes), sqlArray(c.names),
        `{${c.responseHours.join(',')}}`, `{${c.completionHours.join(',')}}`, `{${c.sort.join(',')}}`],
    );
    afterWrite(ctx);
    return catalogue(ctx);
  },

  async createServiceCategory(_: unknown, { input }: { input: CategoryInput }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    let level = 1;
    let response = input.responseHours ?? 24;
    let completion = input.completionHours ?? 168;
    if (input.parentId) {
      const parent = await requireCategory(ctx, input.parentId);
      if (parent.level >= 3) throw badInput('Items (level 3) have no children; choose a category or a sub-category as parent.', 'input.parentId');
      level = parent.level + 1;
      response = input.responseHours ?? parent.response_hours;
      completion = input.completionHours ?? parent.completion_hours;
    }
    const code = input.code.trim().toUpperCase();
    if (!/^[A-Z0-9_.-]{1,40}$/.test(code)) throw badInput('The code may hold A–Z, 0–9, _, . and - (1 to 40 characters).', 'input.code');
    if (!(Number.isInteger(response) && response > 0 && Number.isInteger(completion) && completion >= response)) {
      throw badInput('Deadlines are whole hours; completion must be at least the response time.', 'input.completionHours');
    }
    const id = randomUUID();
    await ctx.em.execute(
      'insert into services.category (id, tenant_id, parent_id, level, code, name, response_hours, completion_hours) values (?, ?, ?, ?, ?, ?, ?, ?)',
      [id, ctx.principal.tenantId, input.parentId ?? null, level, code, text(input.name, 'input.name', 50), response, completion],
    );
    afterWrite(ctx);
    const row = await ctx.loaders.category.load(id);
    if (!row) throw notFound('ServiceCategory', id);
    return row;
  },

  async registerResource(_: unknown, { input }: { input: ResourceInput }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const { memberId, stationedUnitId } = providerIds(input);
    const serves = input.servesUnitId ?? input.unitId;
    await requireUnit(ctx, input.unitId);
    if (serves !== input.unitId) await requireUnit(ctx, serves);
    if (!input.categoryIds.length) throw badInput('Name at least one catalogue entry the offer covers.', 'input.categoryIds');
    for (const c of new Set(input.categoryIds)) await requireCategory(ctx, c);
    const weekdays = [...new Set(input.weekdays ?? [1, 2, 3, 4, 5, 6, 7])];
    if (!weekdays.length || weekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) throw badInput('Weekdays are 1 (Monday) to 7 (Sunday).', 'input.weekdays');
    const fromHour = input.fromHour ?? 8;
    const toHour = input.toHour ?? 20;
    if (!(fromHour >= 0 && fromHour <= 23 && toHour > fromHour && toHour <= 24)) throw badInput('The daily window runs from fromHour (0–23) to a later toHour (at most 24).', 'input.toHour');
    const capacity = input.capacity ?? 3;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 100) throw badInput('Capacity is 1 to 100 open orders.', 'input.capacity');
    const id = randomUUID();
    await ctx.em.execute(
      `insert into services.resource (id, tenant_id, provider_kind, member_id, stationed_unit_id, provider_name, unit_id, unit_path, serves_unit_id, serves_path,
         category_ids, capacity, weekdays, from_hour, to_hour, description, created_at)
       values (?, ?, ?, ?, ?, ?, ?, '', ?, '', ?::uuid[], ?, ?::smallint[], ?, ?, ?, ?)`,
      [id, ctx.principal.tenantId, input.providerKind, memberId, stationedUnitId, text(input.providerName, 'input.providerName', 80), input.unitId, serves,
        sqlArray([...new Set(input.categoryIds)]), capacity, `{${weekdays.join(',')}}`, fromHour, toHour, input.description ?? null, ctx.now()],
    );
    afterWrite(ctx);
    const row = await ctx.loaders.resource.load(id);
    if (!row) throw notFound('Resource', id);
    return row;
  },

  async createProject(_: unknown, { input }: { input: ProjectInput }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    await requireUnit(ctx, input.leadUnitId);
    const supporting = [...new Set(input.supportingUnitIds ?? [])];
    for (const u of supporting) if (!isUuid(u)) throw badInput(`Supporting unit ${u} is not a unit id.`, 'input.supportingUnitIds');
    const id = randomUUID();
    await ctx.em.execute(
      `insert into services.project (id, tenant_id, name, description, lead_unit_id, lead_path, supporting_unit_ids, owner_name, deadline, created_at)
       values (?, ?, ?, ?, ?, '', ?::uuid[], ?, ?::date, ?)`,
      [id, ctx.principal.tenantId, text(input.name, 'input.name', 100), input.description ?? null, input.leadUnitId, sqlArray(supporting),
        text(input.ownerName, 'input.ownerName', 50), day(input.deadline), ctx.now()],
    );
    const rows = await ctx.em.execute<ProjectRow[]>(`select ${PROJECT_COLUMNS} from services.project p where p.id = ?`, [id]);
    if (!rows[0]) throw notFound('Project', id);
    return rows[0];
  },

  async setProjectState(_: unknown, { id, state }: { id: string; state: string }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    if (!isUuid(id)) throw notFound('Project', id);
    const order = ['OPEN', 'IN_PROGRESS', 'DONE'];
    const rows = await ctx.em.execute<ProjectRow[]>(`select ${PROJECT_COLUMNS} from services.project p where p.id = ? for update`, [id]);
    const p = rows[0];
    if (!p) throw notFound('Project', id);
    if (order.indexOf(state) <= order.indexOf(p.state)) throw badInput(`The project is ${p.state}; it can only move forward (OPEN → IN_PROGRESS → DONE).`, 'state');
    await ctx.em.execute('update services.project set state = ? where id = ?', [state, id]);
    return { ...p, state };
  },
};
