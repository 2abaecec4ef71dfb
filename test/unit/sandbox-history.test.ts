// The history folder's bookkeeping: which names may become folders, what deleting it says is lost,
// and the old layout (databases inside the disposable sandbox folder) moved out of harm's way.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adoptLegacyHistory,
  deleteHistory,
  describeHistory,
  historyContents,
  historyDirFor,
} from '../../src/platform/local/history.ts';
import { UserError } from '../../src/util/errors.ts';

const home = mkdtempSync(join(tmpdir(), 'firedrill-history-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const file = (path: string, bytes: number) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x'.repeat(bytes));
};

describe('sandbox history', () => {
  it('lives beside the sandboxes, under a plain name only', () => {
    expect(historyDirFor('default', home)).toBe(join(home, 'history', 'default'));
    // The one sandbox-name rule (util/names) guards the history folder too.
    for (const bad of ['', '..', '../../etc', 'a/b', '.hidden', 'x..y'])
      expect(() => historyDirFor(bad, home), bad).toThrow(UserError);
  });

  it('deleting it names what is lost, with where and how big', () => {
    const dir = historyDirFor('sized', home);
    file(join(dir, 'results', 'data', 'base', '1'), 2_000_000);
    file(join(dir, 'temporal', 'temporal.db'), 500_000);
    expect(historyContents(dir).map((i) => i.bytes)).toEqual([2_000_000, 500_000]);
    const gone = deleteHistory(dir);
    expect(describeHistory(gone)).toBe(
      `the results database (every recorded run, marker and canary sample) at ${join(dir, 'results')} (2.0 MB) and ` +
        `the Temporal database (every schedule and workflow, running ones included) at ${join(dir, 'temporal')} (0.5 MB)`,
    );
    expect(existsSync(dir)).toBe(false);
    expect(describeHistory(deleteHistory(dir))).toBe('nothing (no history yet)');
  });

  it('adopts the databases an older release kept in the sandbox folder, never over newer ones', () => {
    const sandbox = join(home, 'sandboxes', 'old');
    const history = historyDirFor('old', home);
    file(join(sandbox, 'results', 'data', 'PG_VERSION'), 2);
    file(join(sandbox, 'temporal', 'temporal.db'), 10);
    file(join(sandbox, 'temporal', 'temporal.db-wal'), 3);
    expect(adoptLegacyHistory(sandbox, history)).toEqual([
      join(history, 'results', 'data'),
      join(history, 'temporal', 'temporal.db'),
    ]);
    expect(readFileSync(join(history, 'results', 'data', 'PG_VERSION'), 'utf8')).toBe('xx');
    expect(existsSync(join(history, 'temporal', 'temporal.db-wal'))).toBe(true);
    expect(existsSync(join(sandbox, 'results', 'data'))).toBe(false);

    file(join(sandbox, 'temporal', 'temporal.db'), 99); // a second old copy: the history wins
    expect(adoptLegacyHistory(sandbox, history)).toEqual([]);
    expect(readFileSync(join(history, 'temporal', 'temporal.db'), 'utf8')).toHaveLength(10);
  });
});
