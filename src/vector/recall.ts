// Exact nearest neighbours and recall@k, pure: the ground truth a vector index is judged against.
// Squared L2 distance (the ordering of L2), ties broken by the smaller id so results are stable.

/** Deterministic PRNG (mulberry32): the same seed gives the same dataset on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` vectors of `dim` components uniform in [-1, 1), from `seed`. */
export function seededVectors(n: number, dim: number, seed: number): Float32Array[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = rand() * 2 - 1;
    return v;
  });
}

/**
 * Clustered vectors: `clusters` centres, each vector a centre plus small noise. Closer to real
 * embeddings than uniform noise, and what an IVF index is built for (its recall is meaningful).
 */
export function clusteredVectors(
  n: number,
  dim: number,
  seed: number,
  clusters = 64,
  spread = 0.15,
): Float32Array[] {
  const rand = mulberry32(seed);
  const centres = Array.from({ length: clusters }, () =>
    Float32Array.from({ length: dim }, () => rand() * 2 - 1),
  );
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(rand() * clusters)]!;
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = c[j]! + (rand() * 2 - 1) * spread;
    return v;
  });
}

export function squaredL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`dimension mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}

/**
 * The exact k nearest neighbours of `query` among `data` (ids = `ids[i]`, default the index i),
 * by brute force: every distance computed, the k smallest kept.
 */
export function exactKnn(
  data: ArrayLike<number>[],
  query: ArrayLike<number>,
  k: number,
  ids?: number[],
): number[] {
  if (k <= 0) return [];
  // A bounded max-heap would be faster; k is small, so an insertion-sorted array of k is enough.
  const best: { id: number; d: number }[] = [];
  for (let i = 0; i < data.length; i++) {
    const d = squaredL2(data[i]!, query);
    const id = ids ? ids[i]! : i;
    if (best.length === k) {
      const worst = best[k - 1]!;
      if (d > worst.d || (d === worst.d && id > worst.id)) continue;
    }
    let at = best.length;
    while (at > 0 && (best[at - 1]!.d > d || (best[at - 1]!.d === d && best[at - 1]!.id > id))) at--;
    best.splice(at, 0, { id, d });
    if (best.length > k) best.pop();
  }
  return best.map((b) => b.id);
}

/** recall@k of one answer: |answer[:k] ∩ truth[:k]| / k (duplicates in the answer count once). */
export function recallAtK(
  answer: readonly (number | string)[],
  truth: readonly (number | string)[],
  k: number,
): number {
  if (k <= 0) throw new Error('k must be positive');
  if (truth.length < k) throw new Error(`the ground truth has ${truth.length} ids, fewer than k = ${k}`);
  const want = new Set(truth.slice(0, k).map(String));
  const seen = new Set<string>();
  for (const id of answer.slice(0, k).map(String)) if (want.has(id)) seen.add(id);
  return seen.size / k;
}

/** Mean recall@k over queries (answers[i] judged against truths[i]). */
export function meanRecall(
  answers: readonly (readonly (number | string)[])[],
  truths: readonly (readonly (number | string)[])[],
  k: number,
): number {
  if (answers.length !== truths.length)
    throw new Error(`${answers.length} answers for ${truths.length} queries`);
  if (!answers.length) throw new Error('no queries');
  return answers.reduce((sum, a, i) => sum + recallAtK(a, truths[i]!, k), 0) / answers.length;
}
