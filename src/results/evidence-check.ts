// Is each run's evidence still there, and is it the evidence its record was computed from? The
// record keeps the ledger's SHA-256; the folder (ledger, canaries, markers) lives on disk, where a
// cleanup or a move can lose it. This reads the disk (the pure report cannot): `firedrill
// report` calls it and hands the checks to the pure model.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { DrillResult } from '../measure/types.ts';
import type { EvidenceFinding } from '../report/stats.ts';

export interface EvidenceCheck extends EvidenceFinding {
  /** The folder found, when one was. */
  dir?: string;
}

const isDir = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

/** Run folders under each root: <root>/<runId>/ and, for game days, <root>/<gameDayId>/<runId>/. */
export function evidenceFolders(roots: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const root of roots) {
    if (!isDir(root)) continue;
    for (const entry of readdirSync(root)) {
      const dir = join(root, entry);
      if (!isDir(dir)) continue;
      if (!found.has(entry)) found.set(entry, dir);
      for (const inner of readdirSync(dir)) {
        const innerDir = join(dir, inner);
        if (!found.has(inner) && isDir(innerDir)) found.set(inner, innerDir);
      }
    }
  }
  return found;
}

const short = (sha: string) => `${sha.slice(0, 12)}…`;

/**
 * Where the record says its artifacts are (relative to the directory the run was started from),
 * else a folder of that run id under the evidence roots; then its ledger against the record's hash.
 */
export function checkEvidence(
  result: DrillResult,
  folders: ReadonlyMap<string, string>,
  cwd = process.cwd(),
): EvidenceCheck {
  const recorded = result.evidence.artifactsDir;
  const candidates = [
    isAbsolute(recorded) ? recorded : resolve(cwd, recorded),
    folders.get(result.runId),
  ].filter((d): d is string => d !== undefined);
  const dir = candidates.find((d) => isDir(d) && d.replace(/\/+$/, '').endsWith(result.runId));
  if (!dir) {
    return {
      status: 'missing',
      detail: `evidence folder ${recorded} is missing (not under ${[...new Set(candidates)].join(' or ') || 'any evidence folder'}): the ledger, canaries and markers behind this record cannot be re-checked`,
    };
  }
  const sha = result.evidence.ledgerSha256;
  if (sha === null) return { status: 'ok', dir, detail: '' };
  const ledger = join(dir, 'ledger.jsonl');
  if (!existsSync(ledger)) {
    return {
      status: 'ledger-missing',
      dir,
      detail: `ledger.jsonl is missing from ${dir}; the record's ledger SHA-256 is ${short(sha)}`,
    };
  }
  const actual = createHash('sha256').update(readFileSync(ledger)).digest('hex');
  if (actual !== sha) {
    return {
      status: 'ledger-mismatch',
      dir,
      detail: `ledger.jsonl in ${dir} has SHA-256 ${short(actual)} but the record says ${short(sha)}: it is not the ledger this result was computed from`,
    };
  }
  return { status: 'ok', dir, detail: '' };
}
