// The organisation tree of a generated tenant, as plain rows (parents before children).
import { unitLabel } from '@trellis/platform';
import type { SeedUnit } from '@trellis/organisation/seed.ts';
import { around, deriveSeed, mulberry32, pick, weighted, uuid } from '@trellis/platform/seed/prng.ts';
import { BUILDING_NAMES, FIRM_NAMES, MARKET_NAMES, chineseNumber, placeNames } from './names.ts';
import type { TenantShape } from './profiles.ts';

const SPECIAL_KINDS: readonly (readonly [string, number])[] = [
  ['COMMERCIAL_BUILDING_BRANCH', 25], ['MARKET_BRANCH', 15], ['JOINT_BRANCH', 15], ['NEW_ORGANISATION_BRANCH', 25],
  ['ENTERPRISE_BRANCH', 12], ['FLOATING_MEMBER_BRANCH', 5], ['ONLINE_BRANCH', 3],
];
/** Community party organisations take their form from their size (DOMAIN.md §1). */
const COMMUNITY_FORMS: readonly (readonly [string, number])[] = [['COMMITTEE', 45], ['GENERAL_BRANCH', 40], ['BRANCH', 15]];
const FORM_SUFFIX: Record<string, string> = { COMMITTEE: '党委', GENERAL_BRANCH: '党总支', BRANCH: '党支部', GROUP: '党小组' };

export interface GeneratedTree { units: SeedUnit[]; rootId: string; districtIds: string[] }

export function generateTree(shape: TenantShape, seed: number): GeneratedTree {
  const r = mulberry32(deriveSeed(seed, `tree:${shape.slug}`));
  const units: SeedUnit[] = [];
  const add = (parent: SeedUnit | null, kind: string, name: string, form: string): SeedUnit => {
    const id = uuid(r);
    const u: SeedUnit = {
      id, parentId: parent?.id ?? null, kind, name, form,
      path: parent ? `${parent.path}.${unitLabel(id)}` : unitLabel(id),
      depth: parent ? parent.depth + 1 : 0,
    };
    units.push(u);
    return u;
  };
  const specialSeq = { n: 0 };
  const special = (parent: SeedUnit, place: string) => {
    const kind = weighted(r, SPECIAL_KINDS);
    const i = ++specialSeq.n;
    const name =
      kind === 'COMMERCIAL_BUILDING_BRANCH' ? `${place}${pick(r, BUILDING_NAMES)}党支部`
      : kind === 'MARKET_BRANCH' ? `${place}${pick(r, MARKET_NAMES)}党支部`
      : kind === 'JOINT_BRANCH' ? `${place}非公企业联合党支部`
      : kind === 'FLOATING_MEMBER_BRANCH' ? `${place}流动党员党支部`
      : kind === 'ONLINE_BRANCH' ? `${place}网络党支部`
      : `${place}${pick(r, FIRM_NAMES)}党支部`;
    // A numeric suffix keeps names unique among a parent's children.
    add(parent, kind, `${name}（${i}）`, 'BRANCH');
  };

  const root = add(null, 'CITY_COMMITTEE', `中共${shape.city}市委`, 'COMMITTEE');
  const districts = placeNames(r, shape.districts).map((n) => add(root, 'DISTRICT', `${n}区`, 'COMMITTEE'));
  // Breadth first, so every level's parents are already listed when children are added.
  const streets: SeedUnit[] = [];
  for (const d of districts) for (const n of placeNames(r, around(r, shape.streetsPerDistrict, 0.2))) streets.push(add(d, 'STREET', `${n}街道`, 'COMMITTEE'));
  const communities: SeedUnit[] = [];
  for (const s of streets) {
    for (const n of placeNames(r, around(r, shape.communitiesPerStreet, 0.3))) {
      const form = weighted(r, COMMUNITY_FORMS);
      communities.push(add(s, 'COMMUNITY', `${n}社区${FORM_SUFFIX[form]}`, form));
    }
  }
  const grids: SeedUnit[] = [];
  for (const c of communities) {
    const n = around(r, shape.gridsPerCommunity, 0.3);
    for (let i = 1; i <= n; i++) grids.push(add(c, 'GRID', `第${chineseNumber(i)}网格党支部`, 'BRANCH'));
  }
  for (const g of grids) {
    const n = around(r, shape.groupsPerGrid, 0.5, 0);
    for (let i = 1; i <= n; i++) add(g, 'BUILDING_GROUP', `${i}号楼栋党小组`, 'GROUP');
  }
  // Special branches: mostly under communities, some under streets and districts.
  const totalSpecials = Math.round(shape.specialsPerCommunity * communities.length);
  const places = placeNames(r, 60);
  for (let i = 0; i < totalSpecials; i++) {
    const roll = r();
    const parent = roll < 0.7 ? pick(r, communities) : roll < 0.95 ? pick(r, streets) : pick(r, districts);
    special(parent, pick(r, places));
  }
  // Parents before children: sort by depth (stable, so siblings keep their order).
  units.sort((a, b) => a.depth - b.depth);
  return { units, rootId: root.id, districtIds: districts.map((d) => d.id) };
}
