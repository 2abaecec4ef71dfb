// The portable results archive (`firedrill results export` / `import`): JSON lines, one header,
// one line per run (its result record, markers and canary samples), one end line whose count
// tells a whole archive from one cut short. Credentials are redacted on the way out, as in reports.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { VERDICTS, type CanarySample, type DrillResult, type Marker } from '../measure/types.ts';
import { redact } from '../report/index.ts';
import { plural } from '../report/stats.ts';
import { UserError } from '../util/errors.ts';
import { LATEST_SCHEMA_VERSION } from './migrations.ts';
import type { StoredRun } from './store.ts';

export const ARCHIVE_FORMAT = 'firedrill-results-archive';
export const ARCHIVE_VERSION = 1;

export interface ArchiveHeader {
  type: 'header';
  format: typeof ARCHIVE_FORMAT;
  version: number;
  schemaVersion: number;
  exportedAt: string;
  /** The export's filter, as given (ISO instants). */
  period: { since: string | null; until: string | null; drill: string | null };
  runs: number;
}

interface RunLine {
  type: 'run';
  runId: string;
  workflowId: string | null;
  result: DrillResult;
  markers: Marker[];
  canarySamples: CanarySample[];
}

export function headerLine(header: Omit<ArchiveHeader, 'type' | 'format' | 'version' | 'schemaVersion'>) {
  const line: ArchiveHeader = {
    type: 'header',
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    schemaVersion: LATEST_SCHEMA_VERSION,
    ...header,
  };
  return JSON.stringify(line) + '\n';
}

export function runLine(run: StoredRun): string {
  const clean = redact(run);
  const line: RunLine = {
    type: 'run',
    runId: clean.result.runId,
    workflowId: clean.workflowId,
    result: clean.result,
    markers: clean.markers,
    canarySamples: clean.samples,
  };
  return JSON.stringify(line) + '\n';
}

export const endLine = (runs: number) => JSON.stringify({ type: 'end', runs }) + '\n';

const VERDICT_NAMES = new Set<string>(VERDICTS);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with a run line, or undefined when it is one `export` writes. */
function runProblem(line: Record<string, unknown>): string | undefined {
  const r = line.result;
  if (!isObject(r)) return 'no result record';
  if (typeof r.runId !== 'string' || !/^[A-Za-z0-9._-]+$/.test(r.runId)) return 'the run id is not a run id';
  if (line.runId !== r.runId) return `runId "${String(line.runId)}" is not the result's "${r.runId}"`;
  for (const key of ['drill', 'variant', 'platform'])
    if (typeof r[key] !== 'string') return `result.${key} is not a string`;
  for (const key of ['startedAt', 'finishedAt'])
    if (typeof r[key] !== 'string' || !Number.isFinite(Date.parse(r[key])))
      return `result.${key} is not an instant`;
  if (!VERDICT_NAMES.has(r.verdict as string))
    return `result.verdict "${String(r.verdict)}" is not a verdict`;
  for (const key of ['targets', 'rto', 'rpo', 'evidence'])
    if (!isObject(r[key])) return `result.${key} is missing`;
  if (!Array.isArray(r.timeline)) return 'result.timeline is missing';
  if (!Array.isArray(line.markers) || !line.markers.every((m) => isObject(m) && typeof m.marker === 'string'))
    return 'markers is not a list of markers';
  if (!line.markers.every((m) => Number.isFinite((m as Marker).at))) return 'a marker has no instant';
  const samples = line.canarySamples;
  if (
    !Array.isArray(samples) ||
    !samples.every(
      (s) => isObject(s) && Number.isFinite(s.at) && Number.isFinite(s.end) && typeof s.ok === 'boolean',
    )
  )
    return 'canarySamples is not a list of canary samples';
  return undefined;
}

async function* numberedLines(path: string): AsyncGenerator<[number, string]> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim()) yield [n, text];
  }
}

/**
 * Reads an archive, checking every line before the caller stores any (a truncated or edited
 * archive imports nothing), then yields its runs. Two passes over the file: a year of history does
 * not have to fit in memory.
 */
export async function readArchive(
  path: string,
): Promise<{ header: ArchiveHeader; runs: () => AsyncGenerator<StoredRun> }> {
  const bad = (n: number, problem: string) =>
    new UserError(
      `${path} line ${n}: ${problem}`,
      'import an archive exactly as `firedrill results export` wrote it (export it again if it was cut short or edited)',
    );
  let header: ArchiveHeader | undefined;
  let count = 0;
  let ended = false;
  for await (const [n, text] of numberedLines(path)) {
    let line: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isObject(parsed)) throw new Error('not an object');
      line = parsed;
    } catch {
      throw bad(n, 'is not a JSON object');
    }
    if (ended) throw bad(n, 'comes after the end line');
    if (!header) {
      if (line.type !== 'header' || line.format !== ARCHIVE_FORMAT)
        throw bad(n, `is not the header of a ${ARCHIVE_FORMAT}`);
      if (line.version !== ARCHIVE_VERSION)
        throw bad(
          n,
          `archive version ${String(line.version)}; this firedrill reads version ${ARCHIVE_VERSION}`,
        );
      header = line as unknown as ArchiveHeader;
    } else if (line.type === 'run') {
      const problem = runProblem(line);
      if (problem) throw bad(n, problem);
      count++;
    } else if (line.type === 'end') {
      if (line.runs !== count)
        throw bad(n, `the end line counts ${String(line.runs)} runs, the archive holds ${count}`);
      ended = true;
    } else {
      throw bad(n, `unknown line type "${String(line.type)}"`);
    }
  }
  if (!header) throw bad(1, 'the archive is empty');
  if (!ended) throw bad(count + 2, `no end line: the archive was cut short after ${plural(count, 'run')}`);
  return {
    header,
    async *runs() {
      for await (const [, text] of numberedLines(path)) {
        const line = JSON.parse(text) as RunLine;
        if (line.type !== 'run') continue;
        yield {
          result: line.result,
          workflowId: line.workflowId ?? null,
          markers: line.markers,
          samples: line.canarySamples,
        };
      }
    },
  };
}
