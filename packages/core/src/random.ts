// Seeded randomness (demo data, simulations, tests): xoshiro128** (fast, 32-bit integer ops only) seeded
// through splitmix32, so every (seed, stream) pair gives an independent, reproducible sequence.

export interface Rng {
  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number;
  /** Uniform in (0, 1]: safe under Math.log. */
  nextOpen(): number;
  /** Standard normal (Box–Muller, the second value cached). */
  normal(): number;
  /** Exponential with mean 1. */
  exponential(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over a string label, so streams can be named ("ticks:BTC-USDT"). */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A generator for `seed` and a named stream; different streams never share state. */
export function createRng(seed: number, stream = ""): Rng {
  const mix = splitmix32((seed >>> 0) ^ Math.imul(hashLabel(stream), 0x27d4eb2d) ^ Math.floor(seed / 0x100000000));
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  if ((a | b | c | d) === 0) a = 1;
  let spare = Number.NaN;

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => nextU32() / 0x100000000;
  const nextOpen = (): number => (nextU32() + 1) / 0x100000000;

  return {
    next,
    nextOpen,
    normal() {
      if (!Number.isNaN(spare)) {
        const z = spare;
        spare = Number.NaN;
        return z;
      }
      const r = Math.sqrt(-2 * Math.log(nextOpen()));
      const theta = 2 * Math.PI * next();
      spare = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
    exponential: () => -Math.log(nextOpen()),
    int: (n: number) => Math.floor(next() * n),
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
