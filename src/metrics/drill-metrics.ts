// The worker's Prometheus metrics (prom-client): what a drill measured, against what target, what
// is running now, how long each phase takes — plus Node's defaults. One registry per worker, fed by
// the activities (result hook, phase timing); served by ./server.ts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { VERDICTS, type DrillResult } from '../measure/types.ts';

/** A drill as the metrics need it: its variants and default targets. */
export interface DrillTargets {
  drill: string;
  variants: string[];
  rtoMs: number;
  rpoMs: number | null;
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
