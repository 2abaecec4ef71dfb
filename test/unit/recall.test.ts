import { describe, expect, it } from 'vitest';
import {
  clusteredVectors,
  exactKnn,
  meanRecall,
  mulberry32,
  recallAtK,
  seededVectors,
  squaredL2,
} from '../../src/vector/recall.ts';

// Hand-checked: points on a line and a plane, distances worked out on paper.
//   id: 0=(0,0) 1=(1,0) 2=(0,2) 3=(3,0) 4=(-1,-1) 5=(2,2)
//   query (0.9, 0.1): d² to 1 = 0.02, 0 = 0.82, 5 = 1.21+3.61=4.82, 4 = 3.61+1.21=4.82,
//   2 = 0.81+3.61=4.42, 3 = 4.41+0.01=4.42
const points = [
  [0, 0],
  [1, 0],
  [0, 2],
  [3, 0],
  [-1, -1],
  [2, 2],
];

describe('exact nearest neighbours (brute force)', () => {
  it('squared L2 as on paper', () => {
    expect(squaredL2([0.9, 0.1], [1, 0])).toBeCloseTo(0.02, 10);
    expect(squaredL2([0.9, 0.1], [0, 2])).toBeCloseTo(4.42, 10);
    expect(() => squaredL2([1], [1, 2])).toThrow(/dimension/);
  });

  it('orders by distance, ties by the smaller id', () => {
    // 2 and 3 tie at 4.42 (2 first), 4 and 5 tie at 4.82 (4 first).
    expect(exactKnn(points, [0.9, 0.1], 6)).toEqual([1, 0, 2, 3, 4, 5]);
    expect(exactKnn(points, [0.9, 0.1], 3)).toEqual([1, 0, 2]);
    expect(exactKnn(points, [0, 0], 1)).toEqual([0]);
    expect(exactKnn(points, [0, 0], 0)).toEqual([]);
  });

  it('uses the given ids', () => {
    // (3, 0.1): d² to 3 = 0.01, to 1 = 4.01, to 5 = 1 + 3.61 = 4.61
    expect(exactKnn(points, [3, 0.1], 2, [10, 11, 12, 13, 14, 15])).toEqual([13, 11]);
  });
});

describe('recall@k', () => {
  it('counts the overlap of the top k, as a fraction of k', () => {
    const truth = [1, 0, 2, 3];
    expect(recallAtK([1, 0, 2], truth, 3)).toBe(1);
    expect(recallAtK([0, 1, 9], truth, 3)).toBeCloseTo(2 / 3, 12); // order inside the top k does not matter
    expect(recallAtK([9, 8, 7], truth, 3)).toBe(0);
    expect(recallAtK([3, 1, 0], truth, 3)).toBeCloseTo(2 / 3, 12); // 3 is 4th in truth: outside the top 3
    expect(recallAtK(['1', '0', '2'], truth, 3)).toBe(1); // ids as strings (Milvus Int64) compare equal
    expect(recallAtK([1, 1, 1], truth, 3)).toBeCloseTo(1 / 3, 12); // a duplicate counts once
    expect(recallAtK([1], truth, 3)).toBeCloseTo(1 / 3, 12); // a short answer is not padded
  });

  it('refuses a truth shorter than k', () => {
    expect(() => recallAtK([1, 2], [1], 2)).toThrow(/fewer than k/);
  });

  it('means over queries', () => {
    expect(
      meanRecall(
        [
          [1, 0],
          [5, 9],
        ],
        [
          [1, 0],
          [5, 4],
        ],
        2,
      ),
    ).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(() => meanRecall([[1]], [], 1)).toThrow();
  });
});

describe('seeded datasets', () => {
  it('are deterministic', () => {
    expect(mulberry32(7)()).toBe(mulberry32(7)());
    expect(Array.from(seededVectors(2, 4, 42)[1]!)).toEqual(Array.from(seededVectors(2, 4, 42)[1]!));
    expect(Array.from(clusteredVectors(3, 8, 1)[2]!)).toEqual(Array.from(clusteredVectors(3, 8, 1)[2]!));
    expect(Array.from(seededVectors(1, 4, 42)[0]!)).not.toEqual(Array.from(seededVectors(1, 4, 43)[0]!));
  });

  it('a vector of the dataset is its own nearest neighbour', () => {
    const data = clusteredVectors(500, 16, 3);
    for (const i of [0, 17, 499]) expect(exactKnn(data, data[i]!, 1)[0]).toBe(i);
  });
});
