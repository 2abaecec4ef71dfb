// Where the CLI's in-process worker logs go: a file per run (reports/<runId>/worker.log, pino JSON
// as the worker writes it), so the live console stays clean; with --verbose also on stderr in
// pino-pretty's human format. A line that names no run (the worker starting, a game day's own
// steps) goes to the fallback file.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import { checkRunId, insideRoot } from '../util/names.ts';

export const WORKER_LOG = 'worker.log';

/** The file a JSON log line belongs in: its run's, or the fallback (a bad or missing run id). */
export function logFileFor(line: string, runsDir: string, fallback: string): string {
  const runId = /"runId":"([^"\\]*)"/.exec(line)?.[1];
  if (!runId) return fallback;
  try {
    return insideRoot(runsDir, checkRunId(runId), WORKER_LOG);
  } catch {
    return fallback; // not a run id: never a path made from it
  }
}

export interface RunLog extends pino.DestinationStream {
  /** Every file written so far. */
  files(): string[];
}

export function runLogDestination(opts: { runsDir: string; fallback: string; verbose?: boolean }): RunLog {
  const written = new Set<string>();
  const pretty = opts.verbose
    ? prettyFactory({
        colorize: Boolean(process.stderr.isTTY),
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,app',
      })
    : undefined;
  return {
    write(line: string) {
      const file = logFileFor(line, opts.runsDir, opts.fallback);
      if (!written.has(file)) mkdirSync(dirname(file), { recursive: true });
      written.add(file);
      appendFileSync(file, line.endsWith('\n') ? line : `${line}\n`);
      // Through process.stderr.write: the live console prints it above its region.
      if (pretty) process.stderr.write(pretty(line));
    },
    files: () => [...written],
  };
}
