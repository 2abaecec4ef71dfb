// What `gameday` and `run` say when they end: the game day's own compliance report (every format,
// in its folder), and what the sandbox still runs on this machine with the command that stops it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunFiles } from '../engine/run-files.ts';
import type { CanarySample, DrillResult } from '../measure/types.ts';
import { markedProcesses } from '../platform/local/process.ts';
import { Sandbox } from '../platform/local/sandbox.ts';
import { checkEvidence, evidenceFolders } from '../results/evidence-check.ts';
import { buildReport, render } from '../report/index.ts';
import type { GameDayOutcome } from '../../workflows/gameday.ts';

const REPORT_FILES = { html: 'report.html', md: 'report.md', json: 'report.json', junit: 'report.junit.xml' };

/** Writes the game day's compliance report beside its runs; answers the files, HTML first. */
export function writeGameDayReports(outcome: GameDayOutcome): string[] {
  const results = outcome.results
    .filter((r): r is { result: DrillResult } => 'result' in r)
    .map((r) => r.result);
  const samples = new Map<string, CanarySample[]>(
    results.map((r) => [r.runId, new RunFiles(join(outcome.reportsDir, r.runId)).canaries()]),
  );
  const folders = evidenceFolders([outcome.reportsDir]);
  const model = buildReport(results, samples, {
    since: new Date(Math.min(outcome.startedAt, ...results.map((r) => Date.parse(r.startedAt)))),
    until: new Date(outcome.finishedAt),
    generatedAt: new Date(),
    source: `game day ${outcome.gameDayId}`,
    evidence: new Map(results.map((r) => [r.runId, checkEvidence(r, folders)])),
    openRuns: true,
  });
  const written: string[] = [];
  for (const [format, name] of Object.entries(REPORT_FILES)) {
    const file = join(outcome.reportsDir, name);
    writeFileSync(file, render(model, format as keyof typeof REPORT_FILES));
    written.push(file);
  }
  return written;
}

/** Resident memory of a process (kB → bytes), 0 when it is gone. */
function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * One sentence on what the sandbox still runs (members per component, processes, memory) and the
 * command that stops it; undefined when it runs nothing.
 */
export function leftRunning(name: string): string | undefined {
  if (!Sandbox.exists({ name })) return undefined;
  const sandbox = Sandbox.open({ name });
  const pids = markedProcesses(sandbox.state.id);
  if (!pids.length) return undefined;
  const parts = Object.entries(sandbox.state.components).map(
    ([component, c]) =>
      `${component} ${c!.members.length}${c!.support?.length ? ` + ${c!.support.length}` : ''}`,
  );
  const gb = pids.reduce((sum, pid) => sum + rssBytes(pid), 0) / 2 ** 30;
  return `sandbox "${name}" is still running (${parts.join(', ')}: ${pids.length} processes, ${gb.toFixed(1)} GB resident); stop it with \`firedrill sandbox down${name === 'default' ? '' : ` --name ${name}`}\` (its results history is kept), or pass --down`;
}

/** Stops the sandbox when asked (`--down`), else says what it still runs and how to stop it. */
export async function afterRun(sandbox: string, down?: boolean): Promise<void> {
  if (down && Sandbox.exists({ name: sandbox })) {
    const { stopped } = await Sandbox.open({ name: sandbox }).down();
    console.error(`sandbox "${sandbox}" down: ${stopped} member(s) stopped; its results history is kept`);
    return;
  }
  const running = leftRunning(sandbox);
  if (running) console.error(running);
}
