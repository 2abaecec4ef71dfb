// The results database is the compliance history: its migrations may only add to it, and each
// version is used once, in order. Checked on the SQL itself so a destructive migration cannot land.
import { describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/results/migrations.ts';

/** Statements that remove or rewrite recorded data, or rename what older readers look for. */
const DESTRUCTIVE = [
  /\bDROP\b/i,
  /\bDELETE\b/i,
  /\bTRUNCATE\b/i,
  /\bRENAME\b/i,
  /\bUPDATE\b/i,
  /\bALTER\s+COLUMN\b[^;]*\bTYPE\b/i,
];

/**
 * The SQL without comments, without the ON DELETE CASCADE of foreign keys (not a statement), and
 * without a CHECK widened in place (DROP CONSTRAINT c, ADD CONSTRAINT c CHECK in one statement:
 * no row can be lost by it, and the new check holds every old row).
 */
const statements = (sql: string) =>
  sql
    .replace(/--.*$/gm, '')
    .replace(/ON\s+DELETE\s+CASCADE/gi, '')
    .replace(/\s+/g, ' ')
    .replace(/DROP CONSTRAINT (\w+), ADD CONSTRAINT \1 CHECK/gi, 'ADD CONSTRAINT $1 CHECK');

describe('results migrations', () => {
  it('are numbered 1, 2, 3… with no gap or repeat, and the latest is what the build knows', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it.each(MIGRATIONS.map((m) => [m.version, m.name, m.sql] as const))(
    'migration %i (%s) only adds',
    (_version, _name, sql) => {
      const text = statements(sql);
      for (const pattern of DESTRUCTIVE) expect(text, String(pattern)).not.toMatch(pattern);
    },
  );

  it('the check itself catches a destructive statement', () => {
    const caught = (sql: string) => DESTRUCTIVE.some((p) => p.test(statements(sql)));
    expect(caught('ALTER TABLE runs DROP COLUMN reason')).toBe(true);
    expect(caught('DELETE FROM runs')).toBe(true);
    expect(caught('TRUNCATE markers')).toBe(true);
    expect(caught('ALTER TABLE runs RENAME TO old_runs')).toBe(true);
    expect(caught('CREATE TABLE t (r text REFERENCES runs ON DELETE CASCADE)')).toBe(false);
    expect(caught('CREATE INDEX runs_started ON runs (started_at)')).toBe(false);
    // Widening a CHECK in place is allowed; dropping one, or replacing it by another name, is not.
    expect(caught('ALTER TABLE runs DROP CONSTRAINT c1, ADD CONSTRAINT c1 CHECK (x > 0)')).toBe(false);
    expect(caught('ALTER TABLE runs DROP CONSTRAINT c1')).toBe(true);
    expect(caught('ALTER TABLE runs DROP CONSTRAINT c1, ADD CONSTRAINT c2 CHECK (x > 0)')).toBe(true);
  });
});
