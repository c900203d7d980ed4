import { badInput } from '@trellis/platform';

/** A public-service post category (岗位类别). */
export interface PostCategory { code: string; name: string }

/**
 * The seven categories in-service members claim posts from when a tenant has configured none
 * (education, rights protection, assistance, environment … as community practice lists them).
 */
export const DEFAULT_POST_CATEGORIES: readonly PostCategory[] = [
  { code: 'POLICY_PROMOTION', name: '政策宣传岗' },
  { code: 'EDUCATION', name: '教育引导岗' },
  { code: 'RIGHTS_PROTECTION', name: '维权服务岗' },
  { code: 'ASSISTANCE', name: '帮扶救助岗' },
  { code: 'ENVIRONMENT', name: '环境保护岗' },
  { code: 'PUBLIC_SAFETY', name: '治安巡逻岗' },
  { code: 'MEDIATION', name: '矛盾调解岗' },
];

/** Tenant settings of the member processes with their defaults. */
export interface ProcessSettings {
  letterValidMonths: number;
  contactsPerQuarter: number;
  activitiesPerYear: number;
  maxPostsPerMember: number;
  postCategories: PostCategory[];
}
export const DEFAULT_SETTINGS: Omit<ProcessSettings, 'postCategories'> = { letterValidMonths: 3, contactsPerQuarter: 2, activitiesPerYear: 4, maxPostsPerMember: 2 };

/** Validates a replacement list of categories: at least one, unique codes, sensible names. */
export function checkCategories(list: readonly PostCategory[]): PostCategory[] {
  if (list.length < 1 || list.length > 30) throw badInput('Give between 1 and 30 post categories.', 'input.postCategories');
  const seen = new Set<string>();
  return list.map((c, i) => {
    const code = c.code.trim();
    const name = c.name.trim();
    if (!/^[A-Z][A-Z0-9_]{1,39}$/.test(code)) throw badInput(`Category code ${c.code} must be capital letters, digits and underscores (2–40), e.g. POLICY_PROMOTION.`, `input.postCategories.${i}.code`);
    if (seen.has(code)) throw badInput(`Category code ${code} appears twice.`, `input.postCategories.${i}.code`);
    if (name.length < 1 || name.length > 40) throw badInput('A category name has 1 to 40 characters.', `input.postCategories.${i}.name`);
    seen.add(code);
    return { code, name };
  });
}

/** Checks a numeric setting against its range. */
export function checkRange(value: number | null | undefined, min: number, max: number, field: string): number | undefined {
  if (value == null) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(`${field} must be a whole number from ${min} to ${max}.`, `input.${field}`);
  return value;
}
