// Generator profiles: how large each seeded tenant is. Fan-outs follow DOMAIN.md §1 (a city of ~10
// districts, ~10 streets each, 10–20 communities a street, ~10 grids of ≈300 households a
// community, building groups under grids, special branches off the main line).

export type ProfileName = 'demo' | 'district' | 'city-1m';

export interface TenantShape {
  slug: string;
  /** City name without 市, e.g. 江城. */
  city: string;
  districts: number;
  streetsPerDistrict: number;
  communitiesPerStreet: number;
  gridsPerCommunity: number;
  groupsPerGrid: number;
  /** Special branches (楼宇, 集贸市场, 两新 …) per community, on average; some hang off streets and districts. */
  specialsPerCommunity: number;
  members: number;
  /** First six digits of ID numbers for the tenant's first district; later districts count up. */
  regionCode: number;
}

export interface Profile { name: ProfileName; description: string; tenants: TenantShape[] }

const demoShape = (slug: string, city: string, regionCode: number): TenantShape => ({
  slug, city, regionCode, districts: 2, streetsPerDistrict: 2, communitiesPerStreet: 3, gridsPerCommunity: 3, groupsPerGrid: 2,
  specialsPerCommunity: 1, members: 1_200,
});
const districtShape = (slug: string, city: string, regionCode: number): TenantShape => ({
  slug, city, regionCode, districts: 1, streetsPerDistrict: 8, communitiesPerStreet: 12, gridsPerCommunity: 8, groupsPerGrid: 3,
  specialsPerCommunity: 3, members: 50_000,
});

/**
 * Every profile seeds three tenants — the one it is named after and two smaller neighbours — so a
 * benchmark can spread its principals over several tenants (no cache or deduplication can then
 * serve one tenant's answer to another).
 */
export const profiles: Record<ProfileName, Profile> = {
  demo: {
    name: 'demo',
    description: 'three small cities (≈130 units, 1,200 members each); seconds to load',
    tenants: [demoShape('jiangcheng', '江城', 420102), demoShape('linhai', '临海', 331082), demoShape('qingshan', '青山', 150204)],
  },
  district: {
    name: 'district',
    description: 'one district of ≈50,000 members (≈3,400 units) and two small cities',
    tenants: [districtShape('jiangcheng', '江城', 420102), demoShape('linhai', '临海', 331082), demoShape('qingshan', '青山', 150204)],
  },
  'city-1m': {
    name: 'city-1m',
    description: 'a city of 1,000,000 members: 10 districts, ≈100 streets, ≈1,500 communities, ≈15,000 grids, ≈50,000 building groups and special branches; plus two districts of 50,000',
    tenants: [
      { slug: 'jiangcheng', city: '江城', regionCode: 420102, districts: 10, streetsPerDistrict: 10, communitiesPerStreet: 15, gridsPerCommunity: 10, groupsPerGrid: 3, specialsPerCommunity: 3.3, members: 1_000_000 },
      districtShape('linhai', '临海', 331082),
      districtShape('qingshan', '青山', 150204),
    ],
  },
};

export function profileByName(name: string): Profile {
  const p = profiles[name as ProfileName];
  if (!p) throw new Error(`unknown profile "${name}"; one of ${Object.keys(profiles).join(', ')}`);
  return p;
}
