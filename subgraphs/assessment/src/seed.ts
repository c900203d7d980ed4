/**
 * Bulk seed: a finished assessment campaign for every community of a tenant, with grades inside
 * the template's quotas, written with COPY into temporary staging tables and then
 * INSERT … SELECT (COPY cannot write a table with forced row-level security). Same seed, same data.
 */
import type pg from 'pg';
import { copyRows } from '@trellis/platform/db/copy.ts';
import { mulberry32, uuid } from '@trellis/platform/seed/prng.ts';
import { seedUnitCopy } from '@trellis/platform/seed/unitCopy.ts';
import { gradeFor, lowestGrade, quotaLimit } from './domain/grading.ts';
import { checkDimensions, checkGrading, DEFAULT_PAY_COEFFICIENTS, type Grading } from './domain/template.ts';

import type { SeedInput, SeedMember, SeedUnit } from '@trellis/platform/seed/contract.ts';

export type { SeedInput, SeedMember, SeedUnit };

const STREET_KINDS = new Set(['STREET', 'TOWNSHIP']);
const DECIDER_KINDS = new Set(['DISTRICT', 'COUNTY_COMMITTEE', 'CITY_COMMITTEE']);

/** Each tenant's own stream of the seed, so tenants seeded with one seed never share ids. */
const tenantSeed = (seed: number, tenantId: string) => (seed ^ Number.parseInt(tenantId.replace(/-/g, '').slice(0, 8), 16)) >>> 0;


export const SEED_DIMENSIONS = checkDimensions([
  { key: 'org', name: '组织建设', indicators: [{ key: 'setting', name: '组织设置', kind: 'MANUAL', weight: 20, max: 20 }, { key: 'team', name: '班子建设', kind: 'MANUAL', weight: 20, max: 20 }] },
  { key: 'work', name: '基本活动', indicators: [{ key: 'meetings', name: '三会一课', kind: 'YES_NO', weight: 20, max: 1 }, { key: 'service', name: '服务群众', kind: 'MANUAL', weight: 40, max: 40 }] },
  { key: 'veto', name: '否决事项', indicators: [{ key: 'discipline', name: '严重违纪', kind: 'VETO', weight: 0, max: 1 }] },
]);
export const SEED_GRADING: Grading = checkGrading(null);

export interface PlannedTarget { targetId: string; unitId: string; path: string; streetId: string; deciderId: string; score: number; grade: string; stars: number | null; vetoed: boolean }

/** Targets and their final grades: scores from the generator, then each decider's quota enforced by demoting the lowest over-quota scores. */
export function planCampaign(units: SeedUnit[], seed: number): { templateId: string; campaignId: string; targets: PlannedTarget[] } {
  const next = mulberry32(seed ^ 0x5eed_a55e);
  const templateId = uuid(next);
  const campaignId = uuid(next);
  const byId = new Map(units.map((u) => [u.id, u]));
  const ancestor = (u: SeedUnit, kinds: Set<string>) => {
    for (let p = u.parentId ? byId.get(u.parentId) : undefined; p; p = p.parentId ? byId.get(p.parentId) : undefined) if (kinds.has(p.kind)) return p.id;
    return null;
  };
  const targets: PlannedTarget[] = [];
  for (const u of units) {
    if (u.kind !== 'COMMUNITY') continue;
    const streetId = ancestor(u, STREET_KINDS);
    const deciderId = ancestor(u, DECIDER_KINDS);
    if (!streetId || !deciderId) continue;
    // Most communities score 60–98; one in forty triggers the veto item.
    const score = Math.round((60 + next() * 38) * 100) / 100;
    const vetoed = next() < 0.025;
    const band = gradeFor(SEED_GRADING, score, vetoed, null);
    targets.push({ targetId: uuid(next), unitId: u.id, path: u.path, streetId, deciderId, score, grade: band.grade, stars: band.stars, vetoed });
  }
  for (const band of SEED_GRADING.bands) {
    if (band.maxShare === null) continue;
    const below = SEED_GRADING.bands[SEED_GRADING.bands.indexOf(band) + 1]!;
    const perDecider = new Map<string, PlannedTarget[]>();
    for (const t of targets) perDecider.set(t.deciderId, [...(perDecider.get(t.deciderId) ?? []), t]);
    for (const group of perDecider.values()) {
      const limit = quotaLimit(band, group.length);
      const holders = group.filter((t) => t.grade === band.grade).sort((a, b) => b.score - a.score);
      for (const t of holders.slice(limit)) {
        // The collective decision moves the rest one grade down, with a score inside that band.
        t.score = Math.min(t.score, band.minScore - 0.5);
        t.grade = below.grade;
        t.stars = below.stars;
      }
    }
  }
  return { templateId, campaignId, targets };
}

export async function seed(input: SeedInput): Promise<void> {
  const { client, tenantId, now } = input;
  const plan = planCampaign(input.units, tenantSeed(input.seed, input.tenantId));
  const at = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();
  const root = input.units.find((u) => u.parentId === null);
  if (!root) throw new Error('The tenant tree has no root unit.');
  await client.query('BEGIN');
  try {
    await client.query(`select set_config('app.tenant_id', $1, true), set_config('app.scope_unit', '', true)`, [tenantId]);
    // The unit-path copy, straight from the tree; the follower resumes after organisationSeq.
    await seedUnitCopy(client, 'assessment', input);

    await client.query(
      `insert into assessment.template (id, tenant_id, key, version, name, period, dimensions, grading, created_by, created_at)
       values ($1, $2, 'community-stars', 1, '社区党组织星级评定', 'YEAR', $3, $4, 'seed', $5) on conflict (id) do nothing`,
      [plan.templateId, tenantId, JSON.stringify(SEED_DIMENSIONS), JSON.stringify(SEED_GRADING), at(-120)]);
    await client.query(
      `insert into assessment.campaign (id, tenant_id, template_id, owner_unit_id, name, self_assessment_due, street_review_due, district_review_due, notice_days, opened_by, opened_at)
       values ($1, $2, $3, $4, '年度社区党组织星级评定', $5, $6, $7, 5, 'seed', $8)`,
      [plan.campaignId, tenantId, plan.templateId, root.id, at(-90), at(-60), at(-30), at(-120)]);

    await client.query(`CREATE TEMP TABLE seed_target (id uuid, unit_id uuid, path ltree, street_id uuid, decider_id uuid, score numeric, grade text, stars int, vetoed boolean, coefficient numeric) ON COMMIT DROP`);
    await copyRows(client, 'seed_target', ['id', 'unit_id', 'path', 'street_id', 'decider_id', 'score', 'grade', 'stars', 'vetoed', 'coefficient'], plan.targets.map((t) => [t.targetId, t.unitId, t.path, t.streetId, t.deciderId, t.score, t.grade, t.stars, t.vetoed, DEFAULT_PAY_COEFFICIENTS[t.grade] ?? null]));
    const finalised = at(-20);
    // One statement: the progress summary's trigger adds the whole campaign as one delta per street.
    await client.query(
      `insert into assessment.target (id, tenant_id, campaign_id, unit_id, path, street_id, decider_id, state, state_since, proposed_score, proposed_grade, proposed_stars, vetoed, notice_ends_at, final_grade)
       select id, $1, $2, unit_id, path, street_id, decider_id, 'FINAL', $3, score, grade, stars, vetoed, $3, grade from seed_target`, [tenantId, plan.campaignId, finalised]);
    await client.query(
      `insert into assessment.result (target_id, tenant_id, campaign_id, unit_id, path, street_id, decider_id, score, grade, stars, vetoed, pay_coefficient, finalised_at)
       select id, $1, $2, unit_id, path, street_id, decider_id, score, grade, stars, vetoed, coefficient, $3 from seed_target`, [tenantId, plan.campaignId, finalised]);
    await client.query(
      `insert into assessment.transition (tenant_id, target_id, action, from_state, to_state, actor, at)
       select $1, id, a.action, a.from_state, a.to_state, 'seed', a.at::timestamptz from seed_target
       cross join (values ('OPEN', null, 'SELF_ASSESSMENT', $2), ('DECIDE', 'DISTRICT_REVIEW', 'NOTICE', $3), ('FINALISE', 'NOTICE', 'FINAL', $4)) as a(action, from_state, to_state, at)`,
      [tenantId, at(-120), at(-26), finalised]);
    await client.query(
      `insert into assessment.rectification (tenant_id, target_id, due_on) select $1, id, ($2::timestamptz + make_interval(days => $3))::date from seed_target where grade = $4`,
      [tenantId, finalised, SEED_GRADING.rectificationDays, lowestGrade(SEED_GRADING)]);
    input.progress(plan.targets.length * 5);
    // Larger profiles also get this year's campaign still under way, every tier busy, so the
    // dashboard has progress to show and the benchmark has results whose notice has ended to finalise.
    if (input.profile !== 'demo') await seedCurrentCampaign(client, tenantId, plan, root.id, at, tenantSeed(input.seed, input.tenantId));
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
  // Without statistics the first dashboards after a seed were planned for empty tables: a city's
  // district progress took 50 ms instead of 5 (an index lookup per summary row and root). The
  // planner learns the sizes now (or from the driver, after all tenants) rather than whenever
  // autovacuum gets to them.
  if (input.analyze !== false) await client.query('analyze assessment.unit_path; analyze assessment.campaign; analyze assessment.target; analyze assessment.result; '
    + 'analyze assessment.progress_summary; analyze assessment.transition; analyze assessment.rectification');
}

/** States of this year's campaign: some communities still assessing themselves, most further on. */
const CURRENT_STATES: readonly (readonly [string, number])[] = [['SELF_ASSESSMENT', 0.15], ['STREET_REVIEW', 0.2], ['DISTRICT_REVIEW', 0.2], ['NOTICE', 0.3], ['FINAL', 0.15]];

async function seedCurrentCampaign(
  client: pg.Client, tenantId: string, finished: ReturnType<typeof planCampaign>, rootId: string, at: (days: number) => string, seed: number,
): Promise<void> {
  const next = mulberry32(seed ^ 0xc0ffee);
  const campaignId = uuid(next);
  await client.query(
    `insert into assessment.campaign (id, tenant_id, template_id, owner_unit_id, name, self_assessment_due, street_review_due, district_review_due, notice_days, opened_by, opened_at)
     values ($1, $2, $3, $4, '本年度社区党组织星级评定', $5, $6, $7, 5, 'seed', $8)`,
    [campaignId, tenantId, finished.templateId, rootId, at(-10), at(15), at(30), at(-40)]);
  const rows: (string | number | boolean | null)[][] = [];
  for (const t of finished.targets) {
    let roll = next();
    let state = 'FINAL';
    for (const [s, share] of CURRENT_STATES) { if (roll < share) { state = s; break; } roll -= share; }
    // Decided targets carry a proposal: last year's score moved a little, graded without quotas.
    const score = Math.max(0, Math.min(100, Math.round((t.score + (next() - 0.5) * 10) * 100) / 100));
    const band = gradeFor(SEED_GRADING, score, t.vetoed, null);
    const decided = state === 'NOTICE' || state === 'FINAL';
    rows.push([uuid(next), t.unitId, t.path, t.streetId, t.deciderId, state, decided ? score : null, decided ? band.grade : null, decided ? band.stars : null, t.vetoed,
      decided ? DEFAULT_PAY_COEFFICIENTS[band.grade] ?? null : null]);
  }
  await client.query(`CREATE TEMP TABLE seed_current (id uuid, unit_id uuid, path ltree, street_id uuid, decider_id uuid, state text, score numeric, grade text, stars int, vetoed boolean, coefficient numeric) ON COMMIT DROP`);
  await copyRows(client, 'seed_current', ['id', 'unit_id', 'path', 'street_id', 'decider_id', 'state', 'score', 'grade', 'stars', 'vetoed', 'coefficient'], rows);
  // Public notice ended yesterday for every target on notice: each can be finalised now.
  await client.query(
    `insert into assessment.target (id, tenant_id, campaign_id, unit_id, path, street_id, decider_id, state, state_since, proposed_score, proposed_grade, proposed_stars, vetoed, notice_ends_at, final_grade)
     select id, $1, $2, unit_id, path, street_id, decider_id, state, case when state in ('NOTICE', 'FINAL') then $3::timestamptz else $4::timestamptz end,
            score, grade, stars, vetoed, case when state in ('NOTICE', 'FINAL') then $5::timestamptz end, case when state = 'FINAL' then grade end
       from seed_current`, [tenantId, campaignId, at(-6), at(-12), at(-1)]);
  await client.query(
    `insert into assessment.result (target_id, tenant_id, campaign_id, unit_id, path, street_id, decider_id, score, grade, stars, vetoed, pay_coefficient, finalised_at)
     select id, $1, $2, unit_id, path, street_id, decider_id, score, grade, stars, vetoed, coefficient, $3 from seed_current where state = 'FINAL'`, [tenantId, campaignId, at(-1)]);
  await client.query(
    `insert into assessment.transition (tenant_id, target_id, action, from_state, to_state, actor, at)
     select $1, id, 'OPEN', null, 'SELF_ASSESSMENT', 'seed', $2::timestamptz from seed_current`, [tenantId, at(-40)]);
  await client.query(
    `insert into assessment.rectification (tenant_id, target_id, due_on)
     select $1, id, ($2::timestamptz + make_interval(days => $3))::date from seed_current where state = 'FINAL' and grade = $4`,
    [tenantId, at(-1), SEED_GRADING.rectificationDays, lowestGrade(SEED_GRADING)]);
}
