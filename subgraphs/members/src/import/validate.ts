import { parseIdCard } from '../domain/personalData.ts';

/** Column headers departments use (several spellings), and the member field each fills. */
export const COLUMNS: Record<string, string[]> = {
  name: ['姓名'],
  gender: ['性别'],
  birthDate: ['出生日期', '出生年月'],
  ethnicity: ['民族'],
  education: ['学历', '文化程度'],
  idCardNumber: ['公民身份号码', '身份证号', '身份证号码'],
  joinedOn: ['入党日期', '入党时间'],
  stage: ['党员状态', '人员类别', '发展阶段'],
  categories: ['党员类别'],
  orgUnit: ['所在党组织', '所在支部'],
  phone: ['联系电话', '手机号码', '电话'],
};
const REQUIRED = ['name', 'idCardNumber', 'education', 'orgUnit'];

const EDUCATION: Record<string, string> = {
  小学: 'PRIMARY', 初中: 'JUNIOR_SECONDARY', 高中: 'SENIOR_SECONDARY', 中专: 'VOCATIONAL', 职高: 'VOCATIONAL', 中专及职高: 'VOCATIONAL', 技校: 'VOCATIONAL',
  大专: 'JUNIOR_COLLEGE', 本科: 'BACHELOR', 大学本科: 'BACHELOR', 大学: 'BACHELOR', 研究生: 'POSTGRADUATE', 硕士: 'POSTGRADUATE', 博士: 'POSTGRADUATE',
};
const STAGE: Record<string, string> = {
  正式党员: 'FULL', 预备党员: 'PROBATIONARY', 发展对象: 'DEVELOPMENT_TARGET', 积极分子: 'ACTIVIST', 入党积极分子: 'ACTIVIST', 入党申请人: 'APPLICANT', 申请人: 'APPLICANT',
};
const CATEGORY: Record<string, string> = {
  自管党员: 'SELF_MANAGED', 直管党员: 'SELF_MANAGED', 在职党员: 'IN_SERVICE', '流动党员(流出)': 'FLOATING_OUT', '流动党员(流入)': 'FLOATING_IN',
  离退休党员: 'RETIRED', 退休党员: 'RETIRED', 下岗失业党员: 'LAID_OFF', 两新组织党员: 'NEW_ORGANISATION', 生活困难党员: 'HARDSHIP', 困难党员: 'HARDSHIP', 老党员: 'ELDERLY',
};
const GENDER: Record<string, string> = { 男: 'MALE', 女: 'FEMALE' };

export interface Problem { row: number; field: string; column: string | null; message: string }
/** A row ready for the staging table. */
export interface ImportRow {
  row: number; name: string; gender: string; birthDate: string; ethnicity: string; education: string; idCard: string; stage: string;
  joinedOn: string | null; categories: string[]; unitLabel: string; phone: string | null;
}

/** `2020-01-02`, `2020/1/2`, `2020.01.02`, `20200102` or `2020年1月2日` as an ISO date; null when not a real date. */
export function isoDate(s: string): string | null {
  const m = /^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$/.exec(s.trim());
  if (!m) return null;
  // Checked by arithmetic: a Date per cell is a noticeable part of validating 100,000 rows.
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
}

const daysInMonth = (year: number, month: number) =>
  month === 2 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/** Which column index holds each field; unknown headers are ignored, missing required ones reported. */
export function mapHeaders(headers: string[]): { index: Record<string, number>; problems: Problem[] } {
  const index: Record<string, number> = {};
  headers.forEach((h, i) => {
    for (const [field, names] of Object.entries(COLUMNS)) if (names.includes(h.trim()) && index[field] === undefined) index[field] = i;
  });
  const problems = REQUIRED.filter((f) => index[f] === undefined).map((f) => ({
    row: 1, field: f, column: COLUMNS[f]![0]!, message: `The header row has no column for ${f}; name it ${COLUMNS[f]!.join(' or ')}.`,
  }));
  return { index, problems };
}

/**
 * Checks one data row (`rowNo` counts the header as row 1). `resolveUnit` turns the organisation
 * text into a unit id or an explanation. Returns the row or the problems found, every field checked.
 */
export function validateRow(cells: string[], rowNo: number, headers: string[], index: Record<string, number>, today: string,
  resolveUnit: (text: string) => { id: string } | { error: string }): { row?: ImportRow; problems: Problem[] } {
  const problems: Problem[] = [];
  const get = (f: string) => (index[f] === undefined ? '' : (cells[index[f]!] ?? '').trim());
  const col = (f: string) => (index[f] === undefined ? COLUMNS[f]![0]! : headers[index[f]!] ?? null);
  const bad = (field: string, message: string) => problems.push({ row: rowNo, field, column: col(field), message });

  const name = get('name');
  if (name.length < 1 || name.length > 50) bad('name', 'The name must have 1 to 50 characters.');
  let id: ReturnType<typeof parseIdCard> | null = null;
  try { id = parseIdCard(get('idCardNumber'), 'idCardNumber'); } catch (e) { bad('idCardNumber', (e as Error).message); }
  const gender = get('gender');
  if (gender && !GENDER[gender]) bad('gender', `"${gender}" is not a gender; write 男 or 女.`);
  else if (gender && id && GENDER[gender] !== id.gender) bad('gender', `性别 ${gender} does not match the ID card number.`);
  const birth = get('birthDate');
  if (birth) {
    const iso = isoDate(birth);
    if (!iso) bad('birthDate', `"${birth}" is not a date; write it as YYYY-MM-DD.`);
    else if (id && iso !== id.birthDate) bad('birthDate', `出生日期 ${iso} does not match the ID card number, which encodes ${id.birthDate}.`);
  }
  const eduText = get('education');
  const education = EDUCATION[eduText];
  if (!education) bad('education', `"${eduText}" is not a known education level; use one of ${Object.keys(EDUCATION).join('、')}.`);
  const stageText = get('stage') || '正式党员';
  const stage = STAGE[stageText];
  if (!stage) bad('stage', `"${stageText}" is not a known status; use one of ${Object.keys(STAGE).join('、')}.`);
  const joinedText = get('joinedOn');
  let joinedOn: string | null = null;
  if (joinedText) {
    joinedOn = isoDate(joinedText);
    if (!joinedOn) bad('joinedOn', `"${joinedText}" is not a date; write it as YYYY-MM-DD.`);
    else if (joinedOn > today) bad('joinedOn', `入党日期 ${joinedOn} is in the future.`);
    else if (id && joinedOn < id.birthDate) bad('joinedOn', '入党日期 is before the birth date.');
  }
  if ((stage === 'FULL' || stage === 'PROBATIONARY') && !joinedText) bad('joinedOn', `A ${stageText} needs 入党日期 (the admission date).`);
  if (stage && stage !== 'FULL' && stage !== 'PROBATIONARY' && joinedText) bad('joinedOn', `${stageText} has no admission date yet; leave 入党日期 empty.`);
  const categories: string[] = [];
  for (const raw of get('categories').split(/[、,，;；]/).map((c) => c.trim().replace(/（/g, '(').replace(/）/g, ')')).filter(Boolean)) {
    const c = CATEGORY[raw];
    if (!c) bad('categories', `"${raw}" is not a known category; use ${Object.keys(CATEGORY).join('、')}.`);
    else if (!categories.includes(c)) categories.push(c);
  }
  const phoneText = get('phone');
  if (phoneText && !/^[0-9+ -]{5,20}$/.test(phoneText)) bad('phone', 'The phone number may hold only digits, spaces, + and - (5 to 20 characters).');
  const ethnicity = get('ethnicity') || '汉族';
  if (ethnicity.length > 20) bad('ethnicity', '民族 may have at most 20 characters.');
  const unitText = get('orgUnit');
  let unitId = '';
  if (!unitText) bad('orgUnit', '所在党组织 is empty.');
  else {
    const u = resolveUnit(unitText);
    if ('error' in u) bad('orgUnit', u.error); else unitId = u.id;
  }
  if (problems.length || !id || !education || !stage) return { problems };
  return {
    problems,
    row: { row: rowNo, name, gender: id.gender, birthDate: id.birthDate, ethnicity, education, idCard: id.number, stage, joinedOn, categories, unitLabel: unitId, phone: phoneText || null },
  };
}

/** A unit as the resolver sees it: id, parent and name. */
export interface UnitName { unit_id: string; parent_id: string | null; name: string; in_scope: boolean }

/**
 * Resolves the organisation text of a ledger (`红旗桥街道林红社区党支部`, `黄石港街道青山湖社区党委/第二网格党支部`,
 * or a unit id) to one unit: the unit whose ancestors' names, joined, end with the text. Ambiguous
 * or unknown text is an explanation naming what to write instead.
 */
export function unitResolver(units: UnitName[]): (text: string) => { id: string } | { error: string } {
  const byId = new Map(units.map((u) => [u.unit_id, u]));
  const full = new Map<string, string>();
  const fullName = (u: UnitName): string => {
    let f = full.get(u.unit_id);
    if (f === undefined) {
      const parent = u.parent_id ? byId.get(u.parent_id) : undefined;
      f = (parent ? fullName(parent) : '') + u.name;
      full.set(u.unit_id, f);
    }
    return f;
  };
  const byName = new Map<string, UnitName[]>();
  for (const u of units) {
    const list = byName.get(u.name);
    if (list) list.push(u);
    else byName.set(u.name, [u]);
  }
  // Every unit under each of its names as written with its ancestors in front (the branch alone,
  // community + branch, street + community + branch …): a ledger's unit column names one of
  // these, and a city holds tens of thousands of units with the same short names (第一网格党支部),
  // so testing each candidate's full name per distinct text took minutes for a city's ledger.
  const bySuffix = new Map<string, UnitName[]>();
  for (const u of units) {
    let suffix = '';
    for (let a: UnitName | undefined = u; a; a = a.parent_id ? byId.get(a.parent_id) : undefined) {
      suffix = a.name + suffix;
      const list = bySuffix.get(suffix);
      if (list) list.push(u);
      else bySuffix.set(suffix, [u]);
    }
  }
  const cache = new Map<string, { id: string } | { error: string }>();
  return (text) => {
    const hit = cache.get(text);
    if (hit) return hit;
    let out: { id: string } | { error: string };
    if (byId.get(text)?.in_scope) out = { id: text };
    else {
      const wanted = text.replace(/[/\\>＞\s]/g, '');
      const last = text.split(/[/\\>＞]/).pop()!.trim();
      const aligned = bySuffix.get(wanted);
      // A text that does not start at a unit's name boundary keeps the general suffix test.
      const candidates = aligned
        ? aligned.filter((u) => u.in_scope)
        : (byName.get(last) ?? units.filter((u) => wanted.endsWith(u.name))).filter((u) => u.in_scope && fullName(u).endsWith(wanted));
      if (candidates.length === 1) out = { id: candidates[0]!.unit_id };
      else if (candidates.length > 1) out = { error: `"${text}" names ${candidates.length} organisations; add the street or community in front, e.g. ${candidates.slice(0, 2).map((c) => (c.parent_id ? byId.get(c.parent_id)?.name ?? '' : '') + c.name).join(' or ')}.` };
      else out = { error: `No organisation you may manage is called "${text}"; write the street and community names followed by the branch, e.g. 黄石港街道青山湖社区党委/第二网格党支部.` };
    }
    cache.set(text, out);
    return out;
  };
}
