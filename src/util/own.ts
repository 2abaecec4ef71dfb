// Lookups by a name the user typed. `record[name]` also finds what every object inherits
// (`constructor`, `toString`, `__proto__`), so `--variant constructor` once passed as a variant:
// a user-supplied name only ever matches an own key of the declaration.

/** The value under `name` when it is the record's own key; undefined for inherited names. */
export function own<T>(record: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, name) ? record[name] : undefined;
}

/** The record's own keys, for "choose one of: …" messages. */
export const ownNames = (record: Readonly<Record<string, unknown>> | undefined): string =>
  Object.keys(record ?? {}).join(', ') || 'none';
