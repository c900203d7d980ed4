import { gql } from '@trellis/platform/testkit/index.ts';
import type { TestStack } from '@trellis/infra/testing.ts';

export const DISTRICT = '中共黄石市委/黄石港区';
export const STREET = `${DISTRICT}/黄石港街道`;
export const OTHER_STREET = `${DISTRICT}/红旗桥街道`;

/** A template: two hand-scored indicators, one computed from member figures, one veto item. */
export const TEMPLATE_INPUT = {
  key: 'community-stars',
  name: '社区党组织星级评定',
  period: 'YEAR',
  dimensions: [
    { key: 'org', name: '组织建设', indicators: [
      { key: 'basics', name: '基础工作', kind: 'MANUAL', weight: 50, max: 50 },
      { key: 'meetings', name: '三会一课', kind: 'YES_NO', weight: 30, max: 1 },
    ] },
    { key: 'members', name: '党员队伍', indicators: [
      { key: 'size', name: '党员人数', kind: 'COMPUTED', weight: 20, max: 5, metric: 'MEMBERS_TOTAL' },
      { key: 'discipline', name: '严重违纪', kind: 'VETO', weight: 0, max: 1 },
    ] },
  ],
};

export const TARGET_FIELDS = 'id state proposedScore proposedGrade vetoed noticeEndsAt overdue unit { id } street { id } decider { id } history { action from to comment }';

/** Communities of a tenant under a path key prefix, from the assessment service's unit copy. */
export async function communities(t: TestStack, tenant: string, underKey: string): Promise<{ id: string; key: string }[]> {
  const out: { id: string; key: string }[] = [];
  const { rows } = await t.db.query<{ id: string }>(`select unit_id::text as id from assessment.unit_path where tenant_id = $1 and kind = 'COMMUNITY'`, [t.tenants[tenant]!.id]);
  const ids = new Set(rows.map((r) => r.id));
  for (const [key, id] of t.tenants[tenant]!.unitIds) if (ids.has(id) && key.startsWith(`${underKey}/`)) out.push({ id, key });
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

export async function createTemplate(t: TestStack, token: string, input: unknown = TEMPLATE_INPUT) {
  return gql<{ createAssessmentTemplate: { id: string; version: number } }>(t.url, token,
    'mutation($input: CreateTemplateInput!) { createAssessmentTemplate(input: $input) { id version } }', { input });
}

export async function openCampaign(t: TestStack, token: string, input: Record<string, unknown>) {
  return gql<{ openAssessmentCampaign: { id: string; targets: { id: string; unit: { id: string } }[] } }>(t.url, token,
    'mutation($input: OpenCampaignInput!) { openAssessmentCampaign(input: $input) { id targets { id unit { id } } } }', { input });
}

type Target = { id: string; state: string; proposedScore: number | null; proposedGrade: string | null; vetoed: boolean; noticeEndsAt: string | null; overdue: boolean; history: { action: string; from: string | null; to: string; comment: string | null }[] };

export async function selfAssess(t: TestStack, token: string, targetId: string, basics: number, veto = false) {
  return gql<{ submitSelfAssessment: Target }>(t.url, token,
    `mutation($id: ID!, $scores: [ScoreInput!]!, $evidence: [EvidenceInput!]) { submitSelfAssessment(targetId: $id, scores: $scores, evidence: $evidence) { ${TARGET_FIELDS} } }`,
    { id: targetId, scores: [{ indicatorKey: 'basics', points: basics }, { indicatorKey: 'meetings', met: true }, { indicatorKey: 'discipline', met: veto }],
      evidence: [{ kind: 'LINK', title: '年度工作台账', url: 'https://example.org/ledger', indicatorKey: 'basics' }] });
}

export async function streetReview(t: TestStack, token: string, targetId: string, scores: unknown[] = []) {
  return gql<{ submitStreetReview: Target }>(t.url, token,
    `mutation($id: ID!, $scores: [ScoreInput!]) { submitStreetReview(targetId: $id, scores: $scores) { ${TARGET_FIELDS} } }`, { id: targetId, scores });
}

export async function decide(t: TestStack, token: string, targetId: string, scores: unknown[] = []) {
  return gql<{ decideAssessment: Target }>(t.url, token,
    `mutation($id: ID!, $scores: [ScoreInput!]) { decideAssessment(targetId: $id, scores: $scores) { ${TARGET_FIELDS} } }`, { id: targetId, scores });
}

export async function finalise(t: TestStack, token: string, targetId: string) {
  return gql<{ finaliseAssessment: Target & { result: { score: number; grade: string; payCoefficient: number | null; rankInStreet: number; rankInDistrict: number; rectification: { id: string; dueOn: string; status: string } | null } } }>(t.url, token,
    `mutation($id: ID!) { finaliseAssessment(targetId: $id) { ${TARGET_FIELDS} result { score grade payCoefficient rankInStreet rankInDistrict rectification { id dueOn status } } } }`, { id: targetId });
}
