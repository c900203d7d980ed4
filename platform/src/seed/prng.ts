/**
 * Deterministic randomness for generated data: the same seed always yields the same tenant.
 * mulberry32 is tiny and fast (≈ 1 ns per draw), which matters at a million members.
 */
export type Rand = () => number;

export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A child seed from a parent seed and a label, so independent streams do not shift each other. */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Draws from weighted choices: `[[value, weight], …]`. Totals are kept per choice list (a million draws, a few lists). */
const totals = new WeakMap<object, number>();
export function weighted<T>(r: Rand, choices: readonly (readonly [T, number])[]): T {
  let total = totals.get(choices);
  if (total === undefined) {
    total = 0;
    for (const [, w] of choices) total += w;
    totals.set(choices, total);
  }
  let x = r() * total;
  for (const [v, w] of choices) {
    x -= w;
    if (x < 0) return v;
  }
  return choices[choices.length - 1]![0];
}

/** Around `mean`, ± `spread` (a fraction), at least `min`: fan-outs vary between siblings. */
export const around = (r: Rand, mean: number, spread = 0.3, min = 1) => Math.max(min, Math.round(mean * (1 - spread + 2 * spread * r())));

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A version-4-shaped UUID from the generator (ids must be reproducible too). */
export function uuid(r: Rand): string {
  // The first n hexadecimal digits of a 32-bit draw, through a byte table (millions of ids).
  const hex = (n: number) => {
    const x = Math.floor(r() * 0x100000000);
    const s = HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;
    return n === 8 ? s : s.slice(0, n);
  };
  const a = hex(8);
  const b = hex(4);
  const c = `4${hex(3)}`;
  const d = ((8 + Math.floor(r() * 4)).toString(16)) + hex(3);
  const e = hex(6) + hex(6);
  return `${a}-${b}-${c}-${d}-${e}`;
}
