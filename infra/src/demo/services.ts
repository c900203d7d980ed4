// Demo service data for the demo tenants. First replays the organisation subgraph's events into
// the services subgraph's unit-path copy (what its event follower does continuously), then
// installs the default catalogue and a handful of offers, orders and micro-wishes per tenant,
// written as the services role so its policies and triggers (summaries) apply.
//
// This is infra tooling connecting as the administrative role: it may read the organisation topic.
// The services subgraph itself never does.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { appRole } from '@trellis/platform';
import { applyUnitChanged } from '@trellis/services';
import { INSERT_CATALOGUE_SQL, catalogueColumns } from '@trellis/services/domain/catalogue.ts';
import type { LoadedTenant } from './load.ts';
import { syncUnitCopy } from './unitCopy.ts';

const TITLES: [string, string][] = [
  ['HEALTH.CARE.MEDICINE', '帮忙代购降压药'], ['ELDERLY.DAILY.MEAL', '独居老人午餐送餐'], ['REPAIR.HOME.PIPE', '厨房水管漏水'],
  ['NEIGHBOURHOOD.MEDIATE.DISPUTE', '楼上噪音纠纷调解'], ['ENVIRONMENT.CLEAN.CORRIDOR', '楼道堆放杂物清理'], ['EDUCATION.TUTOR.HOMEWORK', '小学生作业辅导'],
  ['LEGAL.ADVICE.CONSULT', '房屋租赁合同咨询'], ['REPAIR.PUBLIC.LIGHT', '单元楼道灯不亮'],
];
const WISHES = ['一台助听器', '一套小学课外读物', '冬季棉被一床', '一辆助行器', '一次免费理发上门'];
const RESIDENTS = ['王阿姨', '李大爷', '张女士', '刘先生', '陈奶奶', '赵师傅'];

/** Syncs unit paths and loads the catalogue and a few orders and wishes for each tenant that has none yet. */
export async function loadServicesDemo(adminUrl: string, tenants: LoadedTenant[], now = new Date()): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const out: Record<string, number> = {};
  try {
    for (const t of tenants) {
      await syncUnitCopy(client, t.id, applyUnitChanged);
      await client.query('BEGIN');
      try {
        await client.query(`select set_config('app.tenant_id', $1, true)`, [t.id]);
        // Providers are real demo members (infra may read the members schema; the services service never does).
        const { rows: members } = await client.query<{ id: string }>(
          `select id::text from members.member where tenant_id = $1 and stage in ('FULL', 'PROBATIONARY') order by name, id limit 8`, [t.id]);
        const provider = (i: number) => members[i % Math.max(1, members.length)]?.id ?? randomUUID();
        await client.query(`SET LOCAL ROLE ${appRole('services')}`);
        if ((await client.query('select 1 from services.category limit 1')).rowCount) { await client.query('ROLLBACK'); continue; }
        const c = catalogueColumns(randomUUID);
        await client.query(INSERT_CATALOGUE_SQL, [t.id, c.ids, c.parents, c.levels, c.codes, c.names, c.responseHours, c.completionHours, c.sort]);
        const category = new Map(c.codes.map((code, i) => [code, { id: c.ids[i]!, response: c.responseHours[i]!, completion: c.completionHours[i]! }]));
        // A few grids of the first communities, and the members registered there.
        const { rows: grids } = await client.query<{ unit_id: string; parent_id: string }>(
          `select unit_id::text, parent_id::text from services.unit_path where kind = 'GRID' order by path limit 8`);
        let n = 0;
        for (const [i, g] of grids.entries()) {
          const [code, title] = TITLES[i % TITLES.length]!;
          const cat = category.get(code)!;
          const submitted = new Date(now.getTime() - (i + 1) * 26 * 3_600_000);
          const closed = i % 2 === 0;
          const id = randomUUID();
          await client.query(
            `insert into services.service_order (id, tenant_id, unit_id, org_path, category_id, title, resident_name, resident_phone, channel, submitted_by, state,
               provider_kind, provider_member_id, provider_name, submitted_at, response_due, completion_due, accepted_at, done_at, closed_at, hours, rating, updated_at)
             values ($1, $2, $3, '', $4, $5, $6, $7, 'GRID_WORKER', 'demo-loader', $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $12)`,
            [id, t.id, g.unit_id, cat.id, title, RESIDENTS[i % RESIDENTS.length], `1390000${String(1000 + i)}`, closed ? 'CLOSED' : i % 4 === 1 ? 'SUBMITTED' : 'ACCEPTED',
              closed || i % 4 !== 1 ? 'MEMBER' : null, closed || i % 4 !== 1 ? provider(i) : null, closed || i % 4 !== 1 ? '在职党员志愿者' : null,
              submitted, new Date(submitted.getTime() + cat.response * 3_600_000), new Date(submitted.getTime() + cat.completion * 3_600_000),
              closed || i % 4 !== 1 ? new Date(submitted.getTime() + 2 * 3_600_000) : null, closed ? new Date(submitted.getTime() + 20 * 3_600_000) : null,
              closed ? new Date(submitted.getTime() + 22 * 3_600_000) : null, closed ? 2 : null, closed ? 5 - (i % 3 === 0 ? 1 : 0) : null],
          );
          await client.query(
            `insert into services.order_transition (tenant_id, order_id, from_state, to_state, action, actor, at, note)
             select tenant_id, id, null, state, 'import', 'demo-loader', submitted_at, 'demo data' from services.service_order where id = $1`, [id]);
          n++;
        }
        for (const [i, g] of grids.slice(0, WISHES.length).entries()) {
          const state = ['POSTED', 'POSTED', 'CLAIMED', 'FULFILLED', 'COLLECTED'][i]!;
          const id = randomUUID();
          await client.query(
            `insert into services.micro_wish (id, tenant_id, unit_id, org_path, title, resident_name, state, claimed_by_member_id, collected_by, collected_at, fulfilled_at, updated_at)
             values ($1, $2, $3, '', $4, $5, $6, $7, 'demo-loader', $8, $9, $8)`,
            [id, t.id, g.unit_id, WISHES[i], RESIDENTS[(i + 2) % RESIDENTS.length], state, state === 'CLAIMED' || state === 'FULFILLED' ? provider(i + 1) : null,
              new Date(now.getTime() - (i + 3) * 86_400_000), state === 'FULFILLED' ? new Date(now.getTime() - 86_400_000) : null],
          );
          await client.query(
            `insert into services.wish_transition (tenant_id, wish_id, from_state, to_state, action, actor, at, note)
             select tenant_id, id, null, state, 'import', 'demo-loader', collected_at, 'demo data' from services.micro_wish where id = $1`, [id]);
          n++;
        }
        await client.query('COMMIT');
        out[t.slug] = n;
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    }
    return out;
  } finally {
    await client.end();
  }
}
