// A run's artifact folder, reports/<runId>/: the raw evidence, written as it happens, so that a
// worker that dies mid-drill loses nothing and a new worker carries on from the same files.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { checkRunId, insideRoot } from '../util/names.ts';
import type { CanarySample, Marker } from '../measure/types.ts';
import type { Fault } from '../drill/definition.ts';
import { scrubSecrets } from '../util/secrets.ts';

export class RunFiles {
  /**
   * `share` is told every line appended to an evidence stream (markers, canaries), after it is in
   * the file: how workers with different disks see one run (src/engine/shared-evidence.ts).
   */
  constructor(
    readonly dir: string,
    private readonly share?: (file: string, line: string) => void,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** The run's folder under `reportsDir`; refuses a run id that is not one, or leads outside. */
  static for(reportsDir: string, runId: string, share?: (file: string, line: string) => void): RunFiles {
    return new RunFiles(insideRoot(reportsDir, checkRunId(runId)), share);
  }

  path(name: string): string {
    return insideRoot(this.dir, name);
  }

  // Evidence files are kept and shared: every write goes through the secret scrubber.
  private appendJson(name: string, value: unknown): void {
    const line = JSON.stringify(scrubSecrets(value));
    appendFileSync(this.path(name), line + '\n');
    this.share?.(name, line);
  }

  /** The raw lines of a file of this folder (none when it is absent). */
  lines(name: string): string[] {
    if (!existsSync(this.path(name))) return [];
    return readFileSync(this.path(name), 'utf8')
      .split('\n')
      .filter((l) => l.trim());
  }

  /**
   * Replaces a file's lines atomically, with lines already scrubbed (what every worker shared of a
   * stream): the folder of the worker that records a run then holds all of its evidence.
   */
  replaceLines(name: string, lines: readonly string[]): void {
    const tmp = `${this.path(name)}.${process.pid}.tmp`;
    writeFileSync(tmp, lines.map((l) => l + '\n').join(''));
    renameSync(tmp, this.path(name));
  }

  private readJsonLines<T>(name: string): T[] {
    return parseJsonLines<T>(this.lines(name));
  }

  mark(marker: string, at = Date.now(), note?: string): Marker {
    const m: Marker = note === undefined ? { marker, at } : { marker, at, note };
    this.appendJson('markers.jsonl', m);
    return m;
  }

  markers(): Marker[] {
    return this.readJsonLines<Marker>('markers.jsonl');
  }

  firstMarker(name: string): Marker | undefined {
    return this.markers().find((m) => m.marker === name);
  }

  canary(sample: CanarySample): void {
    this.appendJson('canary.jsonl', sample);
  }

  canaries(): CanarySample[] {
    return this.readJsonLines<CanarySample>('canary.jsonl');
  }

  /** Atomic (write, then rename): a worker killed mid-write leaves the old file, never a torn one. */
  writeJson(name: string, value: unknown): void {
    const tmp = `${this.path(name)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(scrubSecrets(value), null, 2) + '\n');
    renameSync(tmp, this.path(name));
  }

  readJson<T>(name: string): T | undefined {
    return existsSync(this.path(name)) ? (JSON.parse(readFileSync(this.path(name), 'utf8')) as T) : undefined;
  }

  fault(): Fault | undefined {
    return this.readJson<Fault>('fault.json');
  }

  get ledgerFile(): string {
    return this.path('ledger.jsonl');
  }
}

/** JSON lines, skipping one cut short by a crash. */
export function parseJsonLines<T>(lines: readonly string[]): T[] {
  const out: T[] = [];
  for (const line of lines) {
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      /* a line cut short by a crash */
    }
  }
  return out;
}
