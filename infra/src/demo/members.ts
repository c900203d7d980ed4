// Demo members for the demo tenants. First replays the organisation subgraph's events into the
// members subgraph's unit-path copy (what the event transport will do continuously), then adds
// deterministic fictional members to grids, communities and special branches.
//
// This is infra tooling connecting as the administrative role: it may read the organisation topic.
// The members subgraph itself never does.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sqlArray } from '@trellis/platform';
import { mulberry32 } from '@trellis/platform/seed/prng.ts';
import { applyUnitChanged } from '@trellis/members';
import { blindIndex, encrypt, idCardCheck, maskIdCard } from '@trellis/members/domain/personalData.ts';
import type { LoadedTenant } from './load.ts';
import { syncUnitCopy } from './unitCopy.ts';

/** Region code (first six ID digits) per demo tenant: 黄石港区 420202, 海阳市 370687. */
const REGION: Record<string, string> = { huangshi: '420202', haiyang: '370687' };
const SURNAMES = ['李', '王', '张', '刘', '陈', '杨', '黄', '赵', '周', '吴', '徐', '孙', '胡', '朱', '高', '林', '何', '郭', '马', '罗'];
const GIVEN = ['晓东', '秀英', '丽华', '淑珍', '建国', '志强', '海燕', '桂兰', '国庆', '红梅', '文斌', '春生', '玉兰', '德明', '婷婷', '伟', '静', '磊', '敏', '洋'];
const EDUCATION = ['PRIMARY', 'JUNIOR_SECONDARY', 'SENIOR_SECONDARY', 'VOCATIONAL', 'JUNIOR_COLLEGE', 'BACHELOR', 'POSTGRADUATE'];
/** Members per unit, by kind. */
const PER_KIND: Record<string, number> = { GRID: 3, COMMUNITY: 2, COMMERCIAL_BUILDING_BRANCH: 1, MARKET_BRANCH: 1, NEW_ORGANISATION_BRANCH: 1 };

const iso = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (date: string, days: number) => iso(new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000));

/** Syncs unit paths and inserts demo members for each loaded tenant that has none yet. */
export async function loadMembersDemo(adminUrl: string, tenants: LoadedTenant[], today = iso(new Date())): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const out: Record<string, number> = {};
  try {
    for (const t of tenants) {
      await syncUnitCopy(client, t.id, applyUnitChanged);
      await client.query('BEGIN');
      try {
        await client.query(`select set_config('app.tenant_id', $1, true)`, [t.id]);
        if ((await client.query('select 1 from members.member where tenant_id = $1 limit 1', [t.id])).rowCount) { await client.query('ROLLBACK'); continue; }
        const { rows: units } = await client.query<{ unit_id: string; parent_id: string | null; kind: string }>(
          'select unit_id::text, parent_id::text, kind from members.unit_path where tenant_id = $1 order by path', [t.id]);
        const rand = mulberry32([...t.slug].reduce((s, c) => s * 31 + c.charCodeAt(0), 7));
        const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
        const region = REGION[t.slug] ?? '420202';
        const seen = new Set<string>();
        const cols: Record<string, (string | null)[]> = Object.fromEntries(
          ['id', 'org_unit_id', 'name', 'gender', 'birth_date', 'education', 'phone', 'cipher', 'masked', 'hash', 'stage', 'applied_on', 'joined_on', 'full_on', 'categories', 'community'].map((c) => [c, []]));
        for (const u of units) {
          for (let i = 0; i < (PER_KIND[u.kind] ?? 0); i++) {
            const id = randomUUID();
            const birth = addDays('1940-01-01', Math.floor(rand() * 365 * 62));
            const male = rand() < 0.55;
            let number = '';
            do {
              const seq = Math.floor(rand() * 500) * 2 + (male ? 1 : 0);
              const first17 = `${region}${birth.replace(/-/g, '')}${String(seq).padStart(3, '0')}`;
              number = first17 + idCardCheck(first17);
            } while (seen.has(number));
            seen.add(number);
            const roll = rand();
            const stage = roll < 0.8 ? 'FULL' : roll < 0.88 ? 'PROBATIONARY' : roll < 0.94 ? 'ACTIVIST' : 'APPLICANT';
            const age = Number(today.slice(0, 4)) - Number(birth.slice(0, 4));
            const joined = stage === 'FULL' ? addDays(birth, 365 * (20 + Math.floor(rand() * Math.max(1, age - 21)))) : stage === 'PROBATIONARY' ? addDays(today, -Math.floor(rand() * 300) - 1) : null;
            const categories = age >= 60 ? ['RETIRED'] : rand() < 0.4 ? ['IN_SERVICE'] : [pick(['SELF_MANAGED', 'FLOATING_IN', 'LAID_OFF', 'NEW_ORGANISATION'])];
            if (rand() < 0.1) categories.push('HARDSHIP');
            const inService = categories.includes('IN_SERVICE');
            cols.id!.push(id);
            cols.org_unit_id!.push(u.unit_id);
            cols.name!.push(pick(SURNAMES) + pick(GIVEN));
            cols.gender!.push(male ? 'MALE' : 'FEMALE');
            cols.birth_date!.push(birth);
            cols.education!.push(pick(EDUCATION));
            cols.phone!.push(`139${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`);
            cols.cipher!.push(encrypt(number, `${t.id}:${id}`));
            cols.masked!.push(maskIdCard(number));
            cols.hash!.push(blindIndex(t.id, number));
            cols.stage!.push(stage);
            cols.applied_on!.push(stage === 'APPLICANT' || stage === 'ACTIVIST' ? addDays(today, -400) : null);
            cols.joined_on!.push(joined);
            cols.full_on!.push(stage === 'FULL' && joined ? addDays(joined, 366) : null);
            cols.categories!.push(sqlArray(categories));
            cols.community!.push(inService && u.kind === 'GRID' ? u.parent_id : null);
          }
        }
        await client.query(
          `insert into members.member (id, tenant_id, org_unit_id, name, gender, birth_date, ethnicity, education, phone, id_card_cipher, id_card_masked,
             id_card_hash, stage, applied_on, activist_on, joined_on, full_on, categories, reported_in_community, org_path)
           select id, $1, org_unit_id, name, gender, birth_date, '汉族', education, phone, cipher, masked, hash, stage, applied_on,
                  case when stage = 'ACTIVIST' then applied_on + 180 end, joined_on, full_on, categories::text[], community, ''
             from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::date[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                         $12::text[], $13::date[], $14::date[], $15::date[], $16::text[], $17::uuid[])
               as x(id, org_unit_id, name, gender, birth_date, education, phone, cipher, masked, hash, stage, applied_on, joined_on, full_on, categories, community)`,
          [t.id, cols.id, cols.org_unit_id, cols.name, cols.gender, cols.birth_date, cols.education, cols.phone, cols.cipher, cols.masked, cols.hash,
            cols.stage, cols.applied_on, cols.joined_on, cols.full_on, cols.categories, cols.community],
        );
        await client.query(
          `insert into members.recruitment_step (tenant_id, member_id, to_stage, effective_on, note, recorded_by)
           select tenant_id, id, stage, coalesce(full_on, joined_on, activist_on, applied_on), 'demo data', 'demo-loader' from members.member where tenant_id = $1`, [t.id]);
        await client.query('COMMIT');
        out[t.slug] = cols.id!.length;
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
