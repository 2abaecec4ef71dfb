// Which targets of a sandbox a drill holds, for what would otherwise touch them (Sandbox.ensure
// restarting members that are down). Connects to the results database only when first asked.
import { holdsComponent } from '../../workflows/names.ts';
import type { FaultJournal } from './journal.ts';
import { PgFaultJournal } from './journal-pg.ts';

export interface HeldTargets {
  /** Who holds the component (a sentence for the log), or undefined when nobody does. */
  heldBy(component: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export function heldTargets(sandbox: string, databaseUrl: () => string): HeldTargets {
  let journal: Promise<FaultJournal> | undefined;
  return {
    async heldBy(component) {
      journal ??= PgFaultJournal.connect(databaseUrl());
      const locks = await (await journal).locks();
      const h = locks.find((l) => holdsComponent(l.target, { kind: 'local', sandbox }, component));
      return (
        h &&
        `run ${h.runId} (${h.drill}) holds it since ${new Date(h.takenAt).toISOString()}; its fault may be in place (see \`firedrill faults\`)`
      );
    },
    async close() {
      await (await journal?.catch(() => undefined))?.close();
    },
  };
}
