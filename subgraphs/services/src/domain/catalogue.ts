/**
 * The default service catalogue (Haiyang's structure: 10 major categories, 18 sub-categories,
 * 30 items). Every tenant can change it; this is what a new tenant starts from. Deadlines in
 * hours: urgent help is accepted within hours, most orders within a day and done within the
 * seven-day commitment.
 */
export interface CatalogueEntry { code: string; name: string; responseHours: number; completionHours: number; children?: CatalogueEntry[] }

const e = (code: string, name: string, children?: CatalogueEntry[], responseHours = 24, completionHours = 168): CatalogueEntry =>
  (children ? { code, name, responseHours, completionHours, children } : { code, name, responseHours, completionHours });

export const DEFAULT_CATALOGUE: CatalogueEntry[] = [
  e('HEALTH', '医疗健康', [
    e('HEALTH.CARE', '健康照护', [e('HEALTH.CARE.VISIT', '上门问诊', undefined, 4, 48), e('HEALTH.CARE.MEDICINE', '代购药品', undefined, 4, 24)], 4, 48),
    e('HEALTH.CHECK', '健康检查', [e('HEALTH.CHECK.FREE', '义诊体检')]),
  ], 4, 48),
  e('ELDERLY', '为老服务', [
    e('ELDERLY.DAILY', '生活照料', [e('ELDERLY.DAILY.MEAL', '助餐送餐', undefined, 4, 24), e('ELDERLY.DAILY.CLEAN', '助洁服务')], 8, 72),
    e('ELDERLY.COMPANY', '精神慰藉', [e('ELDERLY.COMPANY.VISIT', '探访陪伴'), e('ELDERLY.COMPANY.CALL', '电话关怀')]),
  ], 8, 72),
  e('CULTURE', '文体活动', [
    e('CULTURE.ART', '文艺演出', [e('CULTURE.ART.SHOW', '文艺汇演'), e('CULTURE.ART.FILM', '露天电影')]),
    e('CULTURE.SPORT', '全民健身', [e('CULTURE.SPORT.EVENT', '健身活动')]),
  ]),
  e('ENVIRONMENT', '环境整治', [
    e('ENVIRONMENT.CLEAN', '卫生清扫', [e('ENVIRONMENT.CLEAN.CORRIDOR', '楼道清理'), e('ENVIRONMENT.CLEAN.GARBAGE', '垃圾分类')]),
    e('ENVIRONMENT.GREEN', '绿化美化', [e('ENVIRONMENT.GREEN.PLANT', '补植绿化')]),
  ]),
  e('NEIGHBOURHOOD', '邻里关系', [
    e('NEIGHBOURHOOD.MEDIATE', '矛盾调解', [e('NEIGHBOURHOOD.MEDIATE.DISPUTE', '邻里纠纷调解', undefined, 12, 96), e('NEIGHBOURHOOD.MEDIATE.FAMILY', '家庭矛盾调解', undefined, 12, 96)], 12, 96),
  ], 12, 96),
  e('REPAIR', '便民维修', [
    e('REPAIR.HOME', '家电维修', [e('REPAIR.HOME.APPLIANCE', '小家电维修'), e('REPAIR.HOME.PIPE', '水电维修', undefined, 8, 48)], 8, 72),
    e('REPAIR.PUBLIC', '公共设施', [e('REPAIR.PUBLIC.LIGHT', '楼道照明')]),
  ], 8, 72),
  e('LEGAL', '法律服务', [
    e('LEGAL.ADVICE', '法律咨询', [e('LEGAL.ADVICE.CONSULT', '法律咨询'), e('LEGAL.ADVICE.AID', '法律援助申请')]),
    e('LEGAL.POLICY', '政策宣传', [e('LEGAL.POLICY.TALK', '政策宣讲'), e('LEGAL.POLICY.SOCIAL', '社保医保咨询')]),
  ]),
  e('EDUCATION', '教育帮扶', [
    e('EDUCATION.TUTOR', '课业辅导', [e('EDUCATION.TUTOR.HOMEWORK', '作业辅导'), e('EDUCATION.TUTOR.HOLIDAY', '假期托管')]),
    e('EDUCATION.SKILL', '技能培训', [e('EDUCATION.SKILL.JOB', '就业技能培训')]),
  ]),
  e('HARDSHIP', '困难帮扶', [
    e('HARDSHIP.AID', '生活救助', [e('HARDSHIP.AID.GOODS', '物资帮扶'), e('HARDSHIP.AID.APPLY', '救助申请代办')]),
    e('HARDSHIP.JOB', '就业帮扶', [e('HARDSHIP.JOB.MATCH', '岗位对接')]),
  ]),
  e('SAFETY', '平安建设', [
    e('SAFETY.PATROL', '治安巡逻', [e('SAFETY.PATROL.NIGHT', '夜间巡逻'), e('SAFETY.PATROL.FIRE', '消防隐患排查', undefined, 4, 24)], 4, 48),
  ], 4, 48),
];

/** The catalogue flattened parents-first, with levels and parent codes. */
export function flattenCatalogue(entries = DEFAULT_CATALOGUE): { code: string; name: string; level: number; parentCode: string | null; responseHours: number; completionHours: number; sort: number }[] {
  const out: ReturnType<typeof flattenCatalogue> = [];
  const walk = (list: CatalogueEntry[], level: number, parentCode: string | null) => {
    list.forEach((c, i) => {
      out.push({ code: c.code, name: c.name, level, parentCode, responseHours: c.responseHours, completionHours: c.completionHours, sort: i });
      if (c.children) walk(c.children, level + 1, c.code);
    });
  };
  walk(entries, 1, null);
  return out;
}

/**
 * Column arrays for inserting the default catalogue with fresh ids (parents before children, one
 * statement: `insert … select * from unnest(ids, parents, levels, codes, names, response, completion, sort)`).
 */
export function catalogueColumns(newId: () => string, entries = DEFAULT_CATALOGUE) {
  const flat = flattenCatalogue(entries);
  const ids = new Map(flat.map((c) => [c.code, newId()]));
  return {
    ids: flat.map((c) => ids.get(c.code)!),
    parents: flat.map((c) => (c.parentCode ? ids.get(c.parentCode)! : null)),
    levels: flat.map((c) => c.level),
    codes: flat.map((c) => c.code),
    names: flat.map((c) => c.name),
    responseHours: flat.map((c) => c.responseHours),
    completionHours: flat.map((c) => c.completionHours),
    sort: flat.map((c) => c.sort),
  };
}

export const INSERT_CATALOGUE_SQL = `insert into services.category (tenant_id, id, parent_id, level, code, name, response_hours, completion_hours, sort)
  select $1::uuid, * from unnest($2::uuid[], $3::uuid[], $4::smallint[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int[])`;
