// Who a generated person is: the draws the members seed and the benchmark's import ledger share,
// so both follow DOMAIN.md's proportions from one set of tables. Codes are the schema's; a ledger
// writes them in departments' words.
import { pick, weighted, type Rand } from '@trellis/platform/seed/prng.ts';
import type { Education, RecruitmentStage } from './generated/resolvers.ts';

/** Units whose members live there (communities and below, villages): most of them are retired. */
export const RESIDENTIAL = new Set(['GRID', 'BUILDING_GROUP', 'COMMUNITY', 'VILLAGE']);
export const ETHNICITY: [string, number][] = [['汉族', 93], ['回族', 1.5], ['满族', 1.5], ['壮族', 1.5], ['土家族', 1.5], ['蒙古族', 1]];
const SURNAMES: [string, number][] = [
  ['王', 72], ['李', 71], ['张', 68], ['刘', 54], ['陈', 46], ['杨', 33], ['黄', 25], ['赵', 20], ['吴', 20], ['周', 19], ['徐', 14], ['孙', 12],
  ['马', 12], ['朱', 11], ['胡', 10], ['郭', 10], ['何', 9], ['林', 9], ['高', 9], ['罗', 8], ['郑', 7], ['梁', 7], ['谢', 6], ['宋', 6], ['唐', 6],
  ['许', 5], ['韩', 5], ['冯', 5], ['邓', 5], ['曹', 5], ['彭', 4], ['曾', 4], ['肖', 4], ['田', 4], ['董', 4], ['袁', 4], ['潘', 3], ['于', 3],
  ['蒋', 3], ['蔡', 3], ['余', 3], ['杜', 3], ['叶', 3], ['程', 3], ['苏', 3], ['魏', 3], ['吕', 3], ['丁', 3], ['任', 3], ['沈', 2], ['姚', 2],
  ['卢', 2], ['姜', 2], ['崔', 2], ['钟', 2], ['谭', 2], ['陆', 2], ['汪', 2], ['范', 2], ['金', 2], ['石', 2], ['廖', 2], ['贾', 2], ['夏', 2], ['欧阳', 1],
];
const GIVEN = {
  olderMale: ['建国', '国庆', '德明', '志强', '建华', '卫东', '振华', '文斌', '春生', '永明', '国华', '建军', '跃进', '胜利', '保国', '福生', '长青', '明德'],
  olderFemale: ['秀英', '桂兰', '淑珍', '玉兰', '凤英', '秀兰', '丽华', '红梅', '桂英', '玉梅', '淑英', '秀珍', '凤兰', '美华', '素芳', '月英', '金凤', '爱华'],
  youngerMale: ['浩然', '子轩', '宇航', '俊杰', '博文', '晨阳', '思远', '泽宇', '鹏', '磊', '伟', '涛', '超', '杰', '晓东', '海涛', '志远', '一鸣'],
  youngerFemale: ['婷婷', '思雨', '欣怡', '雨涵', '佳琪', '梦瑶', '静', '敏', '丹', '琳', '晓燕', '海燕', '雪', '倩', '颖', '诗涵', '梓萱', '文静'],
};
const EDUCATION_BY_ERA: [number, [Education, number][]][] = [
  [1950, [['PRIMARY', 30], ['JUNIOR_SECONDARY', 35], ['SENIOR_SECONDARY', 20], ['VOCATIONAL', 5], ['JUNIOR_COLLEGE', 6], ['BACHELOR', 4]]],
  [1970, [['PRIMARY', 10], ['JUNIOR_SECONDARY', 30], ['SENIOR_SECONDARY', 30], ['VOCATIONAL', 10], ['JUNIOR_COLLEGE', 12], ['BACHELOR', 8]]],
  [1985, [['JUNIOR_SECONDARY', 10], ['SENIOR_SECONDARY', 20], ['VOCATIONAL', 15], ['JUNIOR_COLLEGE', 25], ['BACHELOR', 25], ['POSTGRADUATE', 5]]],
  [9999, [['SENIOR_SECONDARY', 5], ['VOCATIONAL', 10], ['JUNIOR_COLLEGE', 25], ['BACHELOR', 48], ['POSTGRADUATE', 12]]],
];
export const DAY = 86_400_000;
/** Memoised dates, by day number + DATE_OFFSET (1860 to 2133). */
const dates: (string | undefined)[] = new Array(100_000).fill(undefined);
const DATE_OFFSET = 40_000;
/** Day number → 'YYYY-MM-DD', memoised (a few thousand distinct days serve a million rows). */
export function ymd(day: number): string {
  const i = day + DATE_OFFSET;
  let s = dates[i];
  if (s === undefined) { s = new Date(day * DAY).toISOString().slice(0, 10); if (i >= 0 && i < dates.length) dates[i] = s; }
  return s;
}

export interface Person {
  stage: RecruitmentStage; party: boolean; age: number;
  /** Birth date as a day number (days since 1970-01-01) and as 'YYYY-MM-DD'. */
  birth: number; birthText: string; bornYear: number;
  male: boolean; name: string; education: Education;
}

/**
 * One person of the registry in `year`: stage (most are full members, a few percent in the
 * pipeline), age (most community members are retired; branches in workplaces are of working age;
 * the pipeline is young), birth date, gender by generation, a Chinese name and the education of
 * their generation. The draws are taken from `r` in a fixed order, so a seed gives the same people.
 */
export function drawPerson(r: Rand, year: number, residential: boolean): Person {
  const roll = r();
  const stage: RecruitmentStage = roll < 0.93 ? 'FULL' : roll < 0.96 ? 'PROBATIONARY' : roll < 0.97 ? 'DEVELOPMENT_TARGET' : roll < 0.985 ? 'ACTIVIST' : 'APPLICANT';
  const party = stage === 'FULL' || stage === 'PROBATIONARY';
  const age = stage !== 'FULL' ? 19 + Math.floor(r() * 22)
    : residential && r() < 0.62 ? 60 + Math.floor(Math.pow(r(), 1.4) * 33)
    : 23 + Math.floor(r() * 37);
  const birth = Date.UTC(year - age, 0, 1) / DAY - Math.floor(r() * 365) - 1;
  const birthText = ymd(birth);
  const bornYear = Number(birthText.slice(0, 4));
  const male = r() < (bornYear < 1970 ? 0.66 : 0.54);
  const older = bornYear < 1975;
  const given = male ? (older ? GIVEN.olderMale : GIVEN.youngerMale) : (older ? GIVEN.olderFemale : GIVEN.youngerFemale);
  const name = weighted(r, SURNAMES) + pick(r, given);
  const education = weighted(r, EDUCATION_BY_ERA.find(([before]) => bornYear < before)![1]);
  return { stage, party, age, birth, birthText, bornYear, male, name, education };
}
