// The run's fault as the watch needs it, read from the shared journal: whichever worker fired it.
import { FAULT_ENTRY, UNDONE_STATES, type FaultJournal, type JournalEntry } from '../results/journal.ts';
import { sleep } from '../util/wait.ts';
import type { FiredFault } from './watch.ts';

/** The run's fault as a FiredFault, from its journal entry (undefined before it was fired). */
export function firedFrom(entry: JournalEntry | undefined): FiredFault | undefined {
  if (!entry || entry.t0 === null || !entry.detail || !UNDONE_STATES.concat('reverted').includes(entry.state))
    return undefined;
  return { t0: entry.t0, fault: entry.detail, settled: entry.state !== 'firing' };
}

/** Follows the run's fault entry every `everyMs` until it is settled; `current()` answers at once. */
export function followFault(journal: FaultJournal, runId: string, everyMs = 25) {
  let fired: FiredFault | undefined;
  let stopped = false;
  const loop = (async () => {
    while (!stopped && !fired?.settled) {
      fired = firedFrom(await journal.entry(runId, FAULT_ENTRY).catch(() => undefined)) ?? fired;
      await sleep(everyMs);
    }
  })();
  return {
    current: () => fired,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
