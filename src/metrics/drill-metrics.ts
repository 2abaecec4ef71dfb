// The worker's Prometheus metrics (prom-client): what a drill measured, against what target, what
// is running now, how long each phase takes, which faults were left in place — plus Node's
// defaults. One registry per worker, fed by the activities (result hook, phase timing) and the
// fault journal (setFaultsLeft); served by ./server.ts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { VERDICTS, type DrillResult } from '../measure/types.ts';

/** A drill as the metrics need it: its variants and default targets. */
export interface DrillTargets {
  drill: string;
  variants: string[];
  rtoMs: number;
  rpoMs: number | null;
}

/** A journaled fault (or preparation) whose revert gave up: what `firedrill faults` lists. */
export interface FaultLeftEntry {
  /** What the run held: the component, or `component/instance` (DrillPlan.target). */
  target: string;
  drill: string;
  /** The run it belongs to: a FAULT-LEFT result of a run the journal already lists is not counted twice. */
  runId?: string;
}

/**
 * The target a recorded result held. The result record has no field of its own for it: the
 * evidence's `target` when the engine puts it there, else its component, else the drill's name.
 */
export function resultTarget(r: DrillResult): string {
  const { target, component } = r.evidence as { target?: unknown; component?: unknown };
  if (typeof target === 'string' && target) return target;
  if (typeof component === 'string' && component) return component;
  return r.drill;
}

export interface PhaseTiming {
  runId: string;
  drill: string;
  phase: string;
  seconds: number;
  ok: boolean;
}

/** A run is "in progress" until recorded; one never heard of again for this long is dropped. */
const IN_PROGRESS_EXPIRY_MS = 4 * 3_600_000;
/** Results already counted (a retried recordResult must not count twice). */
const COUNTED_MEMORY = 1_000;

export class DrillMetrics {
  readonly registry: Registry;
  readonly runs: Counter<'drill' | 'variant' | 'verdict'>;
  readonly lastRtoService: Gauge<'drill' | 'variant'>;
  readonly lastRtoFull: Gauge<'drill' | 'variant'>;
  readonly lastRpoSeconds: Gauge<'drill' | 'variant'>;
  readonly lastRpoLost: Gauge<'drill' | 'variant'>;
  readonly lastVerdict: Gauge<'drill' | 'variant' | 'verdict'>;
  readonly lastRunTimestamp: Gauge<'drill' | 'variant'>;
  readonly lastMetTimestamp: Gauge<'drill'>;
  readonly targetRto: Gauge<'drill'>;
  readonly targetRpo: Gauge<'drill'>;
  readonly inProgress: Gauge<'drill'>;
  readonly phaseDuration: Histogram<'drill' | 'phase' | 'outcome'>;
  readonly faultsLeft: Gauge<'target' | 'drill'>;

  /** The journal's faults left in place, as last read (setFaultsLeft). */
  private faultsLeftJournal: FaultLeftEntry[] = [];
  /** FAULT-LEFT results recorded since that read, by run id: shown at once, not at the next read. */
  private readonly faultsLeftRecorded = new Map<string, FaultLeftEntry>();
  private readonly running = new Map<string, { drill: string; seen: number }>();
  private readonly knownDrills = new Set<string>();
  private readonly counted: string[] = [];

  constructor(opts: { registry?: Registry; defaults?: boolean } = {}) {
    const registers = [(this.registry = opts.registry ?? new Registry())];
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry });
    const dv = ['drill', 'variant'] as const;
    this.runs = new Counter({
      name: 'firedrill_drill_runs_total',
      help: 'Recorded drill runs by drill, variant and verdict',
      labelNames: ['drill', 'variant', 'verdict'],
      registers,
    });
    this.lastRtoService = new Gauge({
      name: 'firedrill_drill_last_rto_service_seconds',
      help: 'RTO (service) of the last recorded run: T0 to the first of K consecutive successful canaries',
      labelNames: dv,
      registers,
    });
    this.lastRtoFull = new Gauge({
      name: 'firedrill_drill_last_rto_full_seconds',
      help: 'RTO (full redundancy) of the last recorded run',
      labelNames: dv,
      registers,
    });
    this.lastRpoSeconds = new Gauge({
      name: 'firedrill_drill_last_rpo_seconds',
      help: 'RPO of the last recorded run: T0 minus the acknowledgement time of the oldest lost write (0 = nothing lost)',
      labelNames: dv,
      registers,
    });
    this.lastRpoLost = new Gauge({
      name: 'firedrill_drill_last_rpo_lost_writes',
      help: 'Acknowledged writes lost or corrupted in the last recorded run',
      labelNames: dv,
      registers,
    });
    this.lastVerdict = new Gauge({
      name: 'firedrill_drill_last_verdict',
      help: 'Verdict of the last recorded run (1 for its verdict, 0 for the others)',
      labelNames: ['drill', 'variant', 'verdict'],
      registers,
    });
    this.lastRunTimestamp = new Gauge({
      name: 'firedrill_drill_last_run_timestamp_seconds',
      help: 'When the last recorded run finished (Unix time)',
      labelNames: dv,
      registers,
    });
    this.lastMetTimestamp = new Gauge({
      name: 'firedrill_drill_last_met_timestamp_seconds',
      help: 'When the last run with verdict MET finished (Unix time), any variant',
      labelNames: ['drill'],
      registers,
    });
    this.targetRto = new Gauge({
      name: 'firedrill_drill_target_rto_seconds',
      help: "Target RTO of the drill (the deployment spec's DR objective)",
      labelNames: ['drill'],
      registers,
    });
    this.targetRpo = new Gauge({
      name: 'firedrill_drill_target_rpo_seconds',
      help: 'Target RPO of the drill (absent when the spec promises none)',
      labelNames: ['drill'],
      registers,
    });
    const expire = () => this.expire();
    const { knownDrills, running } = this;
    this.inProgress = new Gauge({
      name: 'firedrill_drills_in_progress',
      help: 'Drills this worker is running now (planned, not yet recorded)',
      labelNames: ['drill'],
      registers,
      collect() {
        expire();
        this.reset();
        for (const drill of knownDrills) this.set({ drill }, 0);
        for (const { drill } of running.values()) this.inc({ drill });
      },
    });
    this.phaseDuration = new Histogram({
      name: 'firedrill_drill_phase_duration_seconds',
      help: 'Duration of each drill phase (one activity) by drill, phase and outcome',
      labelNames: ['drill', 'phase', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.faultsLeft = new Gauge({
      name: 'firedrill_faults_left',
      help: 'Journaled faults the compensation could not undo, still in place, by target and drill (firedrill faults lists them)',
      labelNames: ['target', 'drill'],
      registers,
    });
  }

  /**
   * The faults the journal says are left in place, read afresh (the worker calls it periodically):
   * the gauge is rebuilt from this list alone, so a fault reverted by hand (`firedrill faults
   * revert`) drops out and its series disappears. One series per target and drill, set to how many
   * entries it has.
   */
  setFaultsLeft(entries: readonly FaultLeftEntry[]): void {
    this.faultsLeftJournal = entries.map((e) => ({ ...e }));
    // The journal marks an entry `left` before its run is recorded, so a read lists every FAULT-LEFT
    // result recorded before it (one that began just before the mark misses it until the next read).
    this.faultsLeftRecorded.clear();
    this.refreshFaultsLeft();
  }

  private refreshFaultsLeft(): void {
    const journaled = new Set(
      this.faultsLeftJournal.map((e) => e.runId).filter((id): id is string => id !== undefined),
    );
    const recorded = [...this.faultsLeftRecorded.values()].filter((e) => !journaled.has(e.runId!));
    const series = new Map<string, { target: string; drill: string; count: number }>();
    for (const e of [...this.faultsLeftJournal, ...recorded]) {
      const key = JSON.stringify([e.target, e.drill]);
      const s = series.get(key) ?? { target: e.target, drill: e.drill, count: 0 };
      s.count++;
      series.set(key, s);
    }
    this.faultsLeft.reset();
    for (const { target, drill, count } of series.values()) this.faultsLeft.set({ target, drill }, count);
  }

  /** Targets per drill, and every runs_total series at 0 so increase() sees a first breach. */
  describeDrills(drills: DrillTargets[]): void {
    for (const d of drills) {
      this.knownDrills.add(d.drill);
      this.targetRto.set({ drill: d.drill }, d.rtoMs / 1000);
      if (d.rpoMs !== null) this.targetRpo.set({ drill: d.drill }, d.rpoMs / 1000);
      for (const variant of d.variants)
        for (const verdict of VERDICTS) this.runs.inc({ drill: d.drill, variant, verdict }, 0);
    }
  }

  /** A drill's activity ran: it is in progress until its result is recorded. */
  touch(runId: string, drill: string): void {
    this.knownDrills.add(drill);
    this.running.set(runId, { drill, seen: Date.now() });
  }

  finished(runId: string): void {
    this.running.delete(runId);
  }

  observePhase(t: PhaseTiming): void {
    this.phaseDuration.observe({ drill: t.drill, phase: t.phase, outcome: t.ok ? 'ok' : 'error' }, t.seconds);
  }

  /** The result hook: counts the run once and sets the "last" gauges. */
  recordResult(r: DrillResult): void {
    this.finished(r.runId);
    if (!this.counted.includes(r.runId)) {
      this.counted.push(r.runId);
      if (this.counted.length > COUNTED_MEMORY) this.counted.shift();
      this.runs.inc({ drill: r.drill, variant: r.variant, verdict: r.verdict });
    }
    // At once, not at the next journal read: the alert on firedrill_faults_left must not wait.
    if (r.verdict === 'FAULT-LEFT' && !this.faultsLeftRecorded.has(r.runId)) {
      this.faultsLeftRecorded.set(r.runId, { target: resultTarget(r), drill: r.drill, runId: r.runId });
      this.refreshFaultsLeft();
    }
    this.setLast(r);
  }

  /** Seeds the "last" gauges from stored results (oldest first), e.g. at worker start; counts nothing. */
  seed(results: DrillResult[]): void {
    for (const r of results) this.setLast(r);
  }

  private setLast(r: DrillResult): void {
    this.knownDrills.add(r.drill);
    const l = { drill: r.drill, variant: r.variant };
    const finished = Date.parse(r.finishedAt) / 1000;
    const set = (g: Gauge<'drill' | 'variant'>, v: number | null) => (v === null ? g.remove(l) : g.set(l, v));
    set(this.lastRtoService, r.rto.serviceMs === null ? null : r.rto.serviceMs / 1000);
    set(this.lastRtoFull, r.rto.fullMs === null ? null : r.rto.fullMs / 1000);
    set(this.lastRpoSeconds, r.rpo.seconds);
    set(this.lastRpoLost, r.rpo.measured === false ? null : r.rpo.lost + r.rpo.corrupted);
    for (const verdict of VERDICTS) this.lastVerdict.set({ ...l, verdict }, verdict === r.verdict ? 1 : 0);
    this.lastRunTimestamp.set(l, finished);
    if (r.verdict === 'MET') this.lastMetTimestamp.set({ drill: r.drill }, finished);
    // A run against the spec's own targets keeps the target gauges current (an override does not).
    if (!r.targets.source.startsWith('override')) {
      this.targetRto.set({ drill: r.drill }, r.targets.rtoMs / 1000);
      if (r.targets.rpoMs !== null) this.targetRpo.set({ drill: r.drill }, r.targets.rpoMs / 1000);
    }
  }

  private expire(): void {
    const cutoff = Date.now() - IN_PROGRESS_EXPIRY_MS;
    for (const [runId, r] of this.running) if (r.seen < cutoff) this.running.delete(runId);
  }

  /** Every sample name the registry exports (histograms as _bucket, _sum, _count). */
  async exportedNames(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const m of await this.registry.getMetricsAsJSON()) {
      const type = String(m.type);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
      else if (type === 'summary') for (const s of ['', '_sum', '_count']) names.add(m.name + s);
      else names.add(m.name);
    }
    return names;
  }
}
