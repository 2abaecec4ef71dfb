// The evidence streams of a run as every worker sees them: what the workers shared (in the order
// they shared it) and, after it, what this worker's own folder has that is not shared yet.
export type EvidenceStream = 'ledger' | 'canary' | 'markers';

export interface SharedEvidence {
  /** Queues a line (or several, newline-separated) of a stream for every worker to see. */
  append(runId: string, stream: EvidenceStream, text: string): void;
  /** Resolves once everything queued (for the run, or at all) is shared. */
  flush(runId?: string): Promise<void>;
  /** The stream's shared lines, in order. */
  lines(runId: string, stream: EvidenceStream): Promise<string[]>;
  close(): Promise<void>;
}

/** The run folder file each stream is written to. */
export const STREAM_FILES: Record<EvidenceStream, string> = {
  ledger: 'ledger.jsonl',
  canary: 'canary.jsonl',
  markers: 'markers.jsonl',
};

export function streamOfFile(name: string): EvidenceStream | undefined {
  return (Object.keys(STREAM_FILES) as EvidenceStream[]).find((s) => STREAM_FILES[s] === name);
}

/**
 * Shared lines first, then this worker's lines the others have not seen (each line once). A line
 * is a JSON event with its own instants: the same text twice is the same event.
 */
export function mergeLines(shared: readonly string[], local: readonly string[]): string[] {
  const seen = new Set(shared);
  const out = [...shared];
  for (const line of local) {
    if (!line || seen.has(line)) continue;
    seen.add(line);
    out.push(line);
  }
  return out;
}
