// A drill option's value, from the command line (always text) or a declaration, turned into what
// the drill reads — strictly: a number is plain decimal digits (no "", "0x2", "1e1", " 3", "2abc"),
// a duration is what parseDuration accepts, and both fall in the range the option declares.
import { DurationError, formatDuration, MAX_DURATION_MS, parseDuration } from '../topology/duration.ts';
import { UserError } from '../util/errors.ts';
import { own } from '../util/own.ts';
import type { DrillOptions, OptionSpec, OptionValue } from './definition.ts';

/** Optional sign, digits, optional fraction: what a person types for a count or an ordinal. */
const DECIMAL = /^-?\d{1,15}(\.\d{1,6})?$/;
/** Strings go to clients and messages; control characters and huge values have no business there. */
const MAX_STRING = 256;

/** A number from text or a declaration; undefined when it is not one. */
export function strictNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && DECIMAL.test(raw)) return Number(raw);
  return undefined;
}

/** The option's declared range, in its own unit (ms for durations); throws when it is malformed. */
export function optionBounds(name: string, spec: OptionSpec): { min: number; max: number } {
  const bound = (v: number | string | undefined, fallback: number, which: string): number => {
    if (v === undefined) return fallback;
    const n = spec.type === 'duration' ? parseDuration(v, `${name}.${which}`) : strictNumber(v);
    if (n === undefined) throw new Error(`${which} ${String(v)} is not a number`);
    return n;
  };
  const wide = spec.type === 'duration' ? MAX_DURATION_MS : Number.MAX_SAFE_INTEGER;
  const min = bound(spec.min, spec.type === 'duration' ? 0 : -wide, 'min');
  const max = bound(spec.max, wide, 'max');
  if (min > max) throw new Error(`min ${String(spec.min)} is above max ${String(spec.max)}`);
  return { min, max };
}

const show = (spec: OptionSpec, v: number) => (spec.type === 'duration' ? formatDuration(v) : String(v));

export function coerceOption(drill: string, name: string, spec: OptionSpec, raw: unknown): OptionValue {
  const where = `option "${name}" of ${drill}`;
  const { min, max } = optionBounds(name, spec);
  const range = `from ${show(spec, min)} to ${show(spec, max)}`;
  switch (spec.type) {
    case 'number': {
      const n = strictNumber(raw);
      const whole = spec.integer ? 'a whole number' : 'a number';
      if (n === undefined)
        throw new UserError(
          `${where}: "${String(raw)}" is not a number`,
          `write ${whole} ${range} in plain digits (${spec.description})`,
        );
      if (spec.integer && !Number.isInteger(n))
        throw new UserError(`${where}: ${n} is not a whole number`, `write a whole number ${range}`);
      if (n < min || n > max)
        throw new UserError(`${where}: ${n} is out of range`, `write ${whole} ${range}`);
      return n;
    }
    case 'duration': {
      let ms: number;
      try {
        ms = parseDuration(raw as string | number, where, max);
      } catch (err) {
        if (!(err instanceof DurationError)) throw err;
        throw new UserError(err.message, `write a duration ${range}, e.g. 30s`);
      }
      if (ms < min)
        throw new UserError(`${where}: ${formatDuration(ms)} is too short`, `write a duration ${range}`);
      return ms;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new UserError(
        `${where}: "${String(raw)}" is not true or false`,
        `write ${name}=true or ${name}=false`,
      );
    default: {
      const text = typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : undefined;
      // eslint-disable-next-line no-control-regex
      if (!text || text.length > MAX_STRING || /[\u0000-\u001f\u007f]/.test(text))
        throw new UserError(
          `${where}: ${JSON.stringify(raw)} is not a usable value`,
          `give 1 to ${MAX_STRING} printable characters (${spec.description})`,
        );
      return text;
    }
  }
}

/**
 * `--option k=v` pairs → a request's options. The record has no prototype, so `__proto__=1` is a
 * key like any other (and refused by planRun as unknown) instead of silently vanishing.
 */
export function parseOptionPairs(pairs: string[]): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UserError(`--option "${pair}" is not key=value`, 'write e.g. --option outage=2s');
    const key = pair.slice(0, eq);
    if (Object.hasOwn(out, key))
      throw new UserError(`--option ${key} is given twice`, `keep one --option ${key}=…`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

/** The plan's checked values behind the typed reader every drill step gets. */
export function drillOptions(
  drill: string,
  specs: Record<string, OptionSpec> | undefined,
  values: Record<string, OptionValue>,
): DrillOptions {
  const read = (name: string, want: 'number' | 'string' | 'boolean') => {
    const spec = specs ? own(specs, name) : undefined;
    if (!spec) throw new Error(`drill ${drill} reads option "${name}", which it does not declare`);
    const declared = spec.type === 'duration' ? 'number' : spec.type;
    if (declared !== want)
      throw new Error(`drill ${drill} reads option "${name}" as a ${want}; it is declared a ${spec.type}`);
    const v = own(values, name);
    if (v === undefined) throw new Error(`option "${name}" of ${drill} has no value (declare a default)`);
    return v;
  };
  return {
    number: (name) => read(name, 'number') as number,
    string: (name) => read(name, 'string') as string,
    boolean: (name) => read(name, 'boolean') as boolean,
    values: Object.freeze({ ...values }),
  };
}
