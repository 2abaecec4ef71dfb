// What a game-day schedule is, checked before anything is created: its name, its cron expression
// (the subset of Temporal's cron syntax firedrill accepts), its time zone and its catch-up window.
// Pure: no server is needed to refuse a bad schedule.
import { DurationError, parseDuration } from '../topology/duration.ts';
import { UserError } from '../util/errors.ts';

/** Every firedrill schedule id starts with this; `list` shows only these. */
export const SCHEDULE_PREFIX = 'firedrill-';
export const scheduleId = (name: string) => `${SCHEDULE_PREFIX}${name}`;
export const scheduleName = (id: string) => id.slice(SCHEDULE_PREFIX.length);

export const DEFAULT_CATCHUP_WINDOW = '10m';
/** Temporal refuses a catch-up window below 10 s. */
const MIN_CATCHUP_MS = 10_000;

export function checkScheduleName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw new UserError(
      `schedule name "${name}" is not valid`,
      'use up to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. nightly)',
    );
  }
  return name;
}

export function checkTimezone(tz: string): string {
  try {
    // Throws RangeError for a zone the IANA database (as Node's ICU knows it) does not have.
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    throw new UserError(
      `unknown time zone "${tz}"`,
      'give an IANA zone name such as UTC, Europe/Paris or America/New_York',
    );
  }
}

export function parseCatchupWindow(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text, '--catchup-window');
  } catch (err) {
    if (err instanceof DurationError) throw new UserError(err.message);
    throw err;
  }
  if (ms < MIN_CATCHUP_MS)
    throw new UserError(
      `--catchup-window ${text} is shorter than Temporal's minimum of 10s`,
      'give e.g. 10m',
    );
  return ms;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Value of names[0]. */
  namesFrom?: number;
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 6, names: DAYS, namesFrom: 0 },
];

const SHORTHANDS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly'];
const CRON_HINT =
  'write 5 fields "minute hour day-of-month month day-of-week" (e.g. "0 3 * * MON" for Mondays at 03:00), a shorthand (@hourly, @daily, @weekly, @monthly, @yearly) or "@every 6h"';

function fieldValue(field: Field, text: string, expr: string): number {
  const upper = text.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + field.namesFrom!;
  if (!/^\d+$/.test(text))
    throw cronError(
      expr,
      `"${text}" is not a number${field.names ? ` or a name (${field.names.join(', ')})` : ''} in the ${field.name} field`,
    );
  const v = Number(text);
  if (v < field.min || v > field.max)
    throw cronError(expr, `${v} is outside ${field.min}-${field.max} in the ${field.name} field`);
  return v;
}

function cronError(expr: string, why: string): UserError {
  return new UserError(`cannot parse cron "${expr}": ${why}`, CRON_HINT);
}

/**
 * Checks a cron expression the way Temporal will read it and returns it normalised (single
 * spaces). Accepts 5 fields with *, lists, ranges, steps and month/day names; the @ shorthands; and
 * "@every <n><s|m|h|d>". Refuses a time zone prefix: the zone is --timezone.
 */
export function checkCron(input: string): string {
  const expr = input.trim().replace(/\s+/g, ' ');
  if (!expr) throw cronError(input, 'it is empty');
  if (/^(CRON_)?TZ=/i.test(expr))
    throw new UserError(
      `cron "${input}" carries a time zone`,
      'drop the TZ= prefix and pass --timezone instead',
    );
  if (expr.startsWith('@')) {
    if (SHORTHANDS.includes(expr.toLowerCase())) return expr.toLowerCase();
    const every = /^@every (\d+)([smhd])$/i.exec(expr);
    if (every) {
      if (Number(every[1]) === 0) throw cronError(input, 'an interval of 0');
      return `@every ${every[1]}${every[2]!.toLowerCase()}`;
    }
    throw cronError(input, `"${expr.split(' ')[0]}" is not a known shorthand`);
  }
  const parts = expr.split(' ');
  if (parts.length !== 5)
    throw cronError(input, `it has ${parts.length} field${parts.length === 1 ? '' : 's'}, not 5`);
  const values = parts.map((part, i) => fieldValues(FIELDS[i]!, part, input));
  // Day of month and month together, while day of week is "*": "0 3 31 2 *" passes every field
  // and never fires. (With day of week restricted too, cron fires on either, so some day matches.)
  if (parts[4] === '*' && parts[2] !== '*') {
    const [days, months] = [values[2]!, values[3]!];
    if (![...months].some((m) => [...days].some((d) => d <= DAYS_IN_MONTH[m - 1]!)))
      throw cronError(
        input,
        `day ${[...days].join(',')} of month ${[...months].map((m) => MONTHS[m - 1]).join(',')} never comes, so the schedule would never fire`,
      );
  }
  return expr;
}

/** The longest each month gets (February in a leap year): a day beyond it never comes. */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** One field's items checked and expanded to the values they match. */
function fieldValues(field: Field, part: string, input: string): Set<number> {
  const out = new Set<number>();
  for (const item of part.split(',')) {
    if (!item) throw cronError(input, `an empty list item in the ${field.name} field`);
    const [range, step, extra] = item.split('/');
    if (extra !== undefined) throw cronError(input, `"${item}" has two steps in the ${field.name} field`);
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0))
      throw cronError(input, `step "${step}" in the ${field.name} field is not a positive number`);
    const every = step === undefined ? 1 : Number(step);
    if (range === '*') {
      for (let v = field.min; v <= field.max; v += every) out.add(v);
      continue;
    }
    const bounds = range!.split('-');
    if (bounds.length > 2 || bounds.some((b) => !b))
      throw cronError(input, `"${range}" is not a value or a range in the ${field.name} field`);
    const [lo, hi] = bounds.map((b) => fieldValue(field, b, input));
    if (hi !== undefined && hi < lo!)
      throw cronError(input, `range ${range} runs backwards in the ${field.name} field`);
    if (step !== undefined && hi === undefined)
      throw cronError(input, `a step needs a range or * ("${item}") in the ${field.name} field`);
    for (let v = lo!; v <= (hi ?? lo!); v += every) out.add(v);
  }
  return out;
}

export type Variants = 'default' | 'all';

export function checkVariants(v: string | undefined): Variants {
  if (v === undefined || v === 'default' || v === 'all') return v ?? 'default';
  throw new UserError(`--variants "${v}" is not default or all`);
}
