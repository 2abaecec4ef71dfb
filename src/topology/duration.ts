// Durations as the spec writes them ("5m", "30s", "1h", "0", "250ms"), parsed to milliseconds.
// Pure: used by the topology model and by drill target overrides alike.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * No duration firedrill reads is longer than this (a report's period is the longest): anything
 * beyond is a typo, and "999999999d" must not reach Date arithmetic and throw a RangeError there.
 */
export const MAX_DURATION_MS = 3_650 * UNIT_MS.d!;

export class DurationError extends Error {}

/**
 * Parses "1h30m", "45s", "250ms", "1.5s", "0" strictly: every character must belong to a
 * <digits>[.<digits>]<unit> group, so empty strings, negatives, hex, exponents and trailing junk
 * are refused; so is anything longer than `maxMs`.
 */
export function parseDuration(input: string | number, what = 'duration', maxMs = MAX_DURATION_MS): number {
  const tooLong = () =>
    new DurationError(`${what}: ${input} is longer than the ${formatDuration(maxMs)} allowed here`);
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) {
      throw new DurationError(`${what}: ${input} is not a non-negative number of milliseconds`);
    }
    if (input > maxMs) throw tooLong();
    return Math.round(input);
  }
  if (typeof input !== 'string')
    throw new DurationError(`${what}: ${String(input)} is not a duration such as 30s`);
  const text = input.trim();
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2] as string]!;
    consumed = re.lastIndex;
  }
  if (text.length === 0 || consumed !== text.length) {
    throw new DurationError(
      `${what}: cannot parse "${input}"; write a duration such as 250ms, 30s, 5m, 1h or 0`,
    );
  }
  if (total > maxMs) throw tooLong();
  return Math.round(total);
}

/** Renders milliseconds the way people read them: 300000 → "5m", 1500 → "1.5s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(3)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(2)}m`;
  if (ms < 2 * 86_400_000) return `${+(ms / 3_600_000).toFixed(2)}h`;
  return `${+(ms / 86_400_000).toFixed(2)}d`;
}
