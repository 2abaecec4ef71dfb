import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/topology/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['24h', 86_400_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', '-5m', '5 minutes', 'm5', '5x'])('refuses %j and says how to write one', (text) => {
    expect(() => parseDuration(text, 'rto')).toThrow(/rto: cannot parse .*write a duration such as/);
  });

  it('refuses negative numbers', () => expect(() => parseDuration(-1)).toThrow(/non-negative/));
  it('formats back', () =>
    expect([0, 250, 1_500, 300_000, 5_400_000].map(formatDuration)).toEqual([
      '0',
      '250ms',
      '1.5s',
      '5m',
      '1.5h',
    ]));
});
