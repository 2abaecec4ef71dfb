// Names that become paths. A sandbox name is a folder under <home>/sandboxes/ and a run id one
// under reports/: "../../.." once resolved to /var, which `sandbox up` then deleted. Every such
// name matches a strict pattern, and every path built from one is checked to stay inside its root
// before anything is written or deleted there.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UserError } from './errors.ts';

/** Lower-case letters, digits and dashes, starting with a letter or digit: also a process marker. */
export const SANDBOX_NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;
/**
 * What newRunId makes (`timescaledb-failover-postgres-crash-20261201T091758-ab12`, upper-case T)
 * and what older result databases hold: letters, digits, dot, dash, underscore — never starting
 * with a dot or a dash, so never `.`, `..` or an option.
 */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,159}$/;

export function checkSandboxName(name: string, field = 'sandbox name'): string {
  if (typeof name !== 'string' || !SANDBOX_NAME.test(name))
    throw new UserError(
      `${field} ${JSON.stringify(name)} is not a sandbox name`,
      'use 1 to 41 lower-case letters, digits or dashes, starting with a letter or digit (e.g. default, ci-2)',
    );
  return name;
}

export function checkRunId(id: string, field = 'run id'): string {
  if (typeof id !== 'string' || !RUN_ID.test(id))
    throw new UserError(
      `${field} ${JSON.stringify(id)} is not a run id`,
      'a run id is letters, digits, dots, dashes and underscores, starting with a letter or digit, as `firedrill run` prints it',
    );
  return id;
}

/**
 * `root`/`parts…` resolved, refused unless it lies strictly inside `root` (the root itself is
 * refused too: deleting it would take every sibling with it).
 */
export function insideRoot(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const path = resolve(base, ...parts);
  const rel = relative(base, path);
  if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    throw new UserError(
      `refusing the path ${path}: it is not inside ${base}`,
      'a name may not contain "/" or ".." or be empty',
    );
  return path;
}

/** A commander option parser that refuses a bad sandbox name naming the flag. */
export const sandboxNameArg =
  (flag: string) =>
  (value: string): string =>
    checkSandboxName(value, flag);
