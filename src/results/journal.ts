// The fault journal and the target locks: what every drill did to a system, and who holds which
// target, in the results database every worker shares. A worker writes an entry before it issues a
// command and updates it after; a retry on any other worker reads it first, so a fault is issued
// at most once and always found for its revert. The run folder keeps the same facts as evidence;
// this is the source of truth.
import type { Fault } from '../drill/definition.ts';

export type JournalState = 'planned' | 'firing' | 'fired' | 'reverting' | 'reverted' | 'left';
export type JournalKind = 'fault' | 'preparation';

/** The entry name of a run's fault; preparations are `prepare-1`, `prepare-2`, … */
export const FAULT_ENTRY = 'fault';

export interface JournalEntry {
  id: number;
  runId: string;
  entry: string;
  kind: JournalKind;
  target: string;
  workflowId: string | null;
  drill: string;
  variant: string;
  state: JournalState;
  /** What the command did (the drill's Fault record, secrets scrubbed); null while planned. */
  detail: Fault | null;
  /**
   * The fault's T0 (epoch ms). Written with `firing` just before the command (an instant at most
   * one database write early, so a measurement from it can only over-read) and exactly with
   * `fired`.
   */
  t0: number | null;
  t0Done: number | null;
  /** Why it is where it is: the last revert error, or why it was left in place. */
  reason: string | null;
  /** Revert attempts so far. */
  reverts: number;
  /** What a revert by hand needs: the run's input and plan. */
  input: unknown;
  createdAt: number;
  updatedAt: number;
}

/** Identifies the run an entry belongs to, written once when the entry is created. */
export interface EntryOwner {
  runId: string;
  target: string;
  workflowId: string | null;
  drill: string;
  variant: string;
  input: unknown;
}

export interface EntryUpdate {
  state?: JournalState;
  detail?: Fault;
  t0?: number;
  t0Done?: number;
  reason?: string | null;
  /** Counts one more revert attempt. */
  revertAttempt?: boolean;
}

export interface LockHolder {
  target: string;
  runId: string;
  workflowId: string | null;
  drill: string;
  takenAt: number;
}

export type LockOutcome = { taken: true } | { taken: false; holder: LockHolder };

/** States in which a command may have been issued and not undone. */
export const UNDONE_STATES: readonly JournalState[] = ['firing', 'fired', 'reverting', 'left'];

export interface FaultJournal {
  /** A run's entries, in the order they were created. */
  entries(runId: string): Promise<JournalEntry[]>;
  entry(runId: string, entry: string): Promise<JournalEntry | undefined>;
  /** Creates the entry (planned) unless it exists; answers it as it is either way. */
  begin(owner: EntryOwner, entry: string, kind: JournalKind): Promise<JournalEntry>;
  update(runId: string, entry: string, change: EntryUpdate): Promise<JournalEntry>;
  /** Every entry not known to be reverted (planned ones with nothing issued are not listed). */
  unreverted(): Promise<JournalEntry[]>;
  byId(id: number): Promise<JournalEntry | undefined>;
  /** Takes the target for the run, or answers who holds it. Taking it again for the same run is a no-op. */
  takeLock(target: string, holder: Omit<LockHolder, 'target' | 'takenAt'>): Promise<LockOutcome>;
  /**
   * Moves the target from `staleRunId` to `holder`, only if that run still holds it: for a lock
   * whose run is over and left nothing in place (a workflow terminated before it could release).
   */
  takeOver(
    target: string,
    staleRunId: string,
    holder: Omit<LockHolder, 'target' | 'takenAt'>,
  ): Promise<LockOutcome>;
  /** Releases the run's hold on the target (another run's hold is left alone). */
  releaseLock(target: string, runId: string): Promise<void>;
  /** Every target held, oldest first. */
  locks(): Promise<LockHolder[]>;
  close(): Promise<void>;
}
