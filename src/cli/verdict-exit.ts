// What a finished run says on its way out: the exit code by verdict, and for a fault left in
// place the one line an operator must not miss (what is broken, the command that retries it).
import type { DrillResult } from '../measure/types.ts';

/** 0 MET, 3 FAULT-LEFT (something is still broken), 1 for every other verdict. */
export const EXIT_FAULT_LEFT = 3;

export function exitCodeOf(results: readonly Pick<DrillResult, 'verdict'>[]): number {
  if (results.some((r) => r.verdict === 'FAULT-LEFT')) return EXIT_FAULT_LEFT;
  return results.every((r) => r.verdict === 'MET') ? 0 : 1;
}

/** One line per run that left a fault in place (its reason names the entries and `faults revert`). */
export function faultLeftLines(
  results: readonly Pick<DrillResult, 'verdict' | 'reason' | 'runId'>[],
): string[] {
  return results
    .filter((r) => r.verdict === 'FAULT-LEFT')
    .map(
      (r) => `FAULT-LEFT (run ${r.runId}): ${r.reason ?? 'the revert gave up'} — see \`firedrill faults\``,
    );
}
