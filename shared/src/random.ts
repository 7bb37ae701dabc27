/**
 * Seeded randomness for everything that must be replayable: the simulators' fleets and choices,
 * seeded fuzz tests, benchmarks. The generator itself is pure-rand's Mersenne Twister (it seeds well from small integers); this module
 * only adds the draws the callers need. Each actor or test can take its own stream (`derive`), so
 * one stream's extra draws never shift another's.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { mersenne } from 'pure-rand/generator/mersenne';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** Uniform in [min, max). */
  float(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T;
  /** Normal variate (Box-Muller). */
  normal(mean: number, stdDev: number): number;
  /** A 32-bit unsigned integer, e.g. to seed faker. */
  uint32(): number;
  /** An independent stream named by `label` (same parent seed + label => same stream). */
  derive(label: string | number): Rng;
}

/** FNV-1a of a string, for deriving streams from labels. */
export function hashLabel(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i += 1) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function createRng(seed: number): Rng {
  const generator = mersenne(seed | 0);
  const rng: Rng = {
    next: () => uniformFloat64(generator),
    int: (min, max) => uniformInt(generator, min, max),
    float: (min, max) => min + rng.next() * (max - min),
    chance: (p) => rng.next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[uniformInt(generator, 0, items.length - 1)] as (typeof items)[number];
    },
    weighted: (entries) => {
      const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
      let roll = rng.next() * total;
      for (const [value, weight] of entries) {
        roll -= weight;
        if (roll < 0) return value;
      }
      return entries[entries.length - 1]![0];
    },
    normal: (mean, stdDev) => {
      const u = Math.max(rng.next(), 1e-12);
      const v = rng.next();
      return mean + stdDev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    uint32: () => generator.next() >>> 0,
    derive: (label) => createRng((seed ^ hashLabel(String(label)) ^ Math.imul(hashLabel(`${label}#`), 0x27d4eb2d)) >>> 0),
  };
  return rng;
}
