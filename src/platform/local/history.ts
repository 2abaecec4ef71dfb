// A sandbox's history: what must outlive the sandbox — the results database (every recorded run,
// marker and canary sample) and the Temporal database (every schedule and workflow). It lives in
// <home>/history/<name>/, beside the disposable <home>/sandboxes/<name>/ that `up` wipes, and is
// deleted only when a command is told so by name (`--delete-history`).
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkSandboxName, insideRoot } from '../../util/names.ts';

/** What a history folder holds, in the words a user reads before deleting it. */
const ITEMS = [
  { path: 'results', what: 'the results database (every recorded run, marker and canary sample)' },
  { path: 'temporal', what: 'the Temporal database (every schedule and workflow, running ones included)' },
] as const;

export interface HistoryItem {
  what: string;
  path: string;
  bytes: number;
}

/** Sandbox names become folder names: the one strict rule of util/names, and a path kept inside its root. */
export const historyDirFor = (name: string, home: string) =>
  insideRoot(join(home, 'history'), checkSandboxName(name));

function bytesUnder(path: string): number {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, entry) => sum + bytesUnder(join(path, entry)), 0);
}

/** The items a history folder holds now (empty ones left out). */
export function historyContents(dir: string): HistoryItem[] {
  return ITEMS.map((item) => ({ what: item.what, path: join(dir, item.path), bytes: 0 }))
    .filter((item) => existsSync(item.path))
    .map((item) => ({ ...item, bytes: bytesUnder(item.path) }))
    .filter((item) => item.bytes > 0);
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** "the results database (…) at /x (12.3 MB) and the Temporal database (…) at /y (1.0 MB)". */
export function describeHistory(items: HistoryItem[]): string {
  if (!items.length) return 'nothing (no history yet)';
  return items.map((i) => `${i.what} at ${i.path} (${megabytes(i.bytes)})`).join(' and ');
}

/** Deletes a sandbox's history; returns what was there, for the command to say what was lost. */
export function deleteHistory(dir: string): HistoryItem[] {
  const items = historyContents(dir);
  rmSync(dir, { recursive: true, force: true });
  return items;
}

/**
 * Earlier releases kept both databases inside the sandbox folder, which `up` wipes. Moves them into
 * the history folder (when it has none of its own) so an upgrade keeps what they recorded. The
 * results password went with the old sandbox.json: the results driver sets a new one.
 * Returns what moved.
 */
export function adoptLegacyHistory(sandboxDir: string, historyDir: string): string[] {
  const moves: [from: string, to: string][] = [
    [join(sandboxDir, 'results', 'data'), join(historyDir, 'results', 'data')],
    [join(sandboxDir, 'temporal', 'temporal.db'), join(historyDir, 'temporal', 'temporal.db')],
  ];
  const moved: string[] = [];
  for (const [from, to] of moves) {
    if (!existsSync(from) || existsSync(to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
    for (const suffix of ['-wal', '-shm'])
      if (existsSync(from + suffix)) renameSync(from + suffix, to + suffix);
    moved.push(to);
  }
  return moved;
}
