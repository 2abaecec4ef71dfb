// A run's artifact folder, reports/<runId>/: the raw evidence, written as it happens, so that a
// worker that dies mid-drill loses nothing and a new worker carries on from the same files.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { checkRunId, insideRoot } from '../util/names.ts';
import type { CanarySample, Marker } from '../measure/types.ts';
import type { Fault } from '../drill/definition.ts';
import { scrubSecrets } from '../util/secrets.ts';

export class RunFiles {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** The run's folder under `reportsDir`; refuses a run id that is not one, or leads outside. */
  static for(reportsDir: string, runId: string): RunFiles {
    return new RunFiles(insideRoot(reportsDir, checkRunId(runId)));
  }

  path(name: string): string {
    return insideRoot(this.dir, name);
  }

  // Evidence files are kept and shared: every write goes through the secret scrubber.
  private appendJson(name: string, value: unknown): void {
    appendFileSync(this.path(name), JSON.stringify(scrubSecrets(value)) + '\n');
  }

  private readJsonLines<T>(name: string): T[] {
    if (!existsSync(this.path(name))) return [];
    const out: T[] = [];
    for (const line of readFileSync(this.path(name), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        /* a line cut short by a crash */
      }
    }
    return out;
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
