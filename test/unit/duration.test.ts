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

  it.each(['0x2s', '1e1s', '5s5', '5s junk', '.5s', '5.s', '0x10', 'Infinitys', '５s'])(
    'refuses %j: hex, exponents and trailing junk are not durations',
    (text) => expect(() => parseDuration(text, 'rto')).toThrow(/rto: cannot parse/),
  );
  it('refuses a duration longer than its bound, before any Date arithmetic', () => {
    expect(() => parseDuration('999999999d', '--since')).toThrow(
      /--since: 999999999d is longer than the 3650d allowed here/,
    );
    expect(() => parseDuration('3h', '--deadline', 7_200_000)).toThrow(/longer than the 2h allowed/);
    expect(() => parseDuration(Number.MAX_SAFE_INTEGER)).toThrow(/longer than/);
    expect(parseDuration('2h', '--deadline', 7_200_000)).toBe(7_200_000);
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
