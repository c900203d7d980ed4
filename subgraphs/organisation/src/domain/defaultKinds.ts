/** Default unit kinds per tenant kind (DOMAIN.md §1); tenants may change them afterwards. */
export interface KindSpec { code: string; name: string; allowedParents: string[]; special?: boolean; defaultForm: 'COMMITTEE' | 'GENERAL_BRANCH' | 'BRANCH' | 'GROUP' }

const special = (parents: string[]): Omit<KindSpec, 'code' | 'name'> => ({ allowedParents: parents, special: true, defaultForm: 'BRANCH' });

const cityMain: KindSpec[] = [
  { code: 'CITY_COMMITTEE', name: '市委', allowedParents: [], defaultForm: 'COMMITTEE' },
  { code: 'DISTRICT', name: '区委', allowedParents: ['CITY_COMMITTEE'], defaultForm: 'COMMITTEE' },
  { code: 'STREET', name: '街道党工委', allowedParents: ['DISTRICT', 'CITY_COMMITTEE'], defaultForm: 'COMMITTEE' },
  { code: 'COMMUNITY', name: '社区党组织', allowedParents: ['STREET'], defaultForm: 'COMMITTEE' },
  { code: 'GRID', name: '网格党支部', allowedParents: ['COMMUNITY'], defaultForm: 'BRANCH' },
  { code: 'BUILDING_GROUP', name: '楼栋党小组', allowedParents: ['GRID'], defaultForm: 'GROUP' },
];
const countyMain: KindSpec[] = [
  { code: 'COUNTY_COMMITTEE', name: '县委', allowedParents: [], defaultForm: 'COMMITTEE' },
  { code: 'TOWNSHIP', name: '乡镇党委', allowedParents: ['COUNTY_COMMITTEE'], defaultForm: 'COMMITTEE' },
  { code: 'COMMUNITY', name: '社区党组织', allowedParents: ['TOWNSHIP'], defaultForm: 'COMMITTEE' },
  { code: 'VILLAGE', name: '村党支部', allowedParents: ['TOWNSHIP'], defaultForm: 'BRANCH' },
  { code: 'GRID', name: '网格党支部', allowedParents: ['COMMUNITY'], defaultForm: 'BRANCH' },
  { code: 'VILLAGE_GROUP', name: '村民小组党小组', allowedParents: ['VILLAGE'], defaultForm: 'GROUP' },
];
const specials = (levels: string[]): KindSpec[] => [
  { code: 'COMMERCIAL_BUILDING_BRANCH', name: '楼宇党支部', ...special(levels) },
  { code: 'MARKET_BRANCH', name: '集贸市场党支部', ...special(levels) },
  { code: 'JOINT_BRANCH', name: '联合党支部', ...special(levels) },
  { code: 'FLOATING_MEMBER_BRANCH', name: '流动党员党支部', ...special(levels) },
  { code: 'NEW_ORGANISATION_BRANCH', name: '两新组织党支部', ...special(levels) },
  { code: 'ENTERPRISE_BRANCH', name: '企业党支部', ...special(levels) },
  { code: 'ONLINE_BRANCH', name: '网络党组织', ...special(levels) },
];

export function defaultKinds(tenantKind: 'CITY' | 'COUNTY'): KindSpec[] {
  return tenantKind === 'CITY'
    ? [...cityMain, ...specials(['DISTRICT', 'STREET', 'COMMUNITY'])]
    : [...countyMain, ...specials(['TOWNSHIP', 'COMMUNITY', 'VILLAGE'])];
}
