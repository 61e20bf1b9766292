/**
 * @module durable-objects/coordinator/jobs/reach-bits
 * The set of a bulk batch's parents (numbered 0…T-1) that one job reaches, for jobs/batch-reach: a bit set stored
 * only over the 32-bit words it uses (word `lo` to `lo + words.length - 1`), so a job reaching one parent costs one
 * word, not T/32. jobs/batch-reach numbers the parents in the order its search finishes them, so the parents under
 * one job are numbered close together and its set spans few words. A set is never changed once made (a union is a
 * new set): a job whose set is its one successor's shares it.
 */

/** Bits `lo·32` … `(lo + words.length)·32 - 1`; bits outside are clear. */
export class ReachBits {
  constructor(
    readonly lo: number,
    readonly words: Uint32Array,
  ) {}

  /** The set holding `bit` (≥ 0) alone. */
  static of(bit: number): ReachBits {
    const words = new Uint32Array(1);
    words[0] = 1 << (bit & 31);
    return new ReachBits(bit >>> 5, words);
  }

  has(bit: number): boolean {
    const i = (bit >>> 5) - this.lo;
    return i >= 0 && i < this.words.length && ((this.words[i]! >>> (bit & 31)) & 1) === 1;
  }

  /** Whether every bit of `other` is in this set. Reads `other.words.length` words. */
  covers(other: ReachBits): boolean {
    for (let i = 0; i < other.words.length; i++) {
      const w = other.words[i]!;
      if (w === 0) continue;
      const j = other.lo + i - this.lo;
      if (j < 0 || j >= this.words.length || (w & ~this.words[j]!) !== 0) return false;
    }
    return true;
  }
}

/** The union of `sets` (at least one) as a new set. Reads each input's words once and writes the result's once. */
export function unionOf(sets: readonly ReachBits[]): ReachBits {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const s of sets) {
    lo = Math.min(lo, s.lo);
    hi = Math.max(hi, s.lo + s.words.length);
  }
  const words = new Uint32Array(hi - lo);
  for (const s of sets) {
    s.words.forEach((w, i) => {
      words[s.lo + i - lo]! |= w;
    });
  }
  return new ReachBits(lo, words);
}

/**
 * Calls `each(bit)` for every bit of `set` not yet in `taken` (a plain word array over the same numbering, offset
 * `takenLo`, wide enough for `set`), then adds them to `taken`: what jobs/batch-reach uses to give each parent its
 * first successor. Reads `set.words.length` words; calls `each` once per new bit.
 */
export function forEachNew(set: ReachBits, taken: Uint32Array, takenLo: number, each: (bit: number) => void): void {
  for (let i = 0; i < set.words.length; i++) {
    const j = set.lo + i - takenLo;
    let fresh = (set.words[i]! & ~taken[j]!) >>> 0;
    if (fresh === 0) continue;
    taken[j]! |= fresh;
    while (fresh !== 0) {
      const low = (fresh & -fresh) >>> 0;
      each((set.lo + i) * 32 + 31 - Math.clz32(low));
      fresh = (fresh & ~low) >>> 0;
    }
  }
}
