// Synthetic drill results for the report tests, shaped like a real record
// (reports/calibration-outage-*/result.json): one call builds a consistent run — timeline, RTO
// figures, ledger counts — from a few numbers, and canarySamples() the raw samples that go with it.
import type { CanarySample, DrillResult, Verdict } from '../../src/measure/types.ts';

export const DAY = 86_400_000;
export const EPOCH = Date.UTC(2026, 10, 1, 8, 0, 0); // 2026-11-01T08:00:00Z
const iso = (ms: number) => new Date(ms).toISOString();

export interface RunSpec {
  drill?: string;
  variant?: string;
  runId?: string;
  /** Start of the run (epoch ms); T0 is 1 s later. */
  start?: number;
  verdict?: Verdict;
  reason?: string;
  targetRtoMs?: number;
  targetRpoMs?: number | null;
  source?: string;
  /** RTO(service); null: never recovered. */
  serviceMs?: number | null;
  fullMs?: number | null;
  detectMs?: number | null;
  unavailableMs?: number | null;
  acked?: number;
  lost?: number;
  corrupted?: number;
  rpoSeconds?: number | null;
  nonPrefix?: boolean;
  measured?: boolean;
  recoveryPointSeconds?: number | null;
  unexpected?: number;
  duplicated?: number;
  config?: Record<string, unknown>;
  noteOnT0?: string;
  ledgerSha256?: string | null;
}

let seq = 0;

export function makeRun(spec: RunSpec = {}): DrillResult {
  const drill = spec.drill ?? 'kafka-broker-kill';
  const variant = spec.variant ?? 'leader';
  const start = spec.start ?? EPOCH;
  const t0 = start + 1_000;
  const verdict = spec.verdict ?? 'MET';
  const aborted = verdict === 'ABORTED';
  const serviceMs = aborted ? null : spec.serviceMs === undefined ? 2_000 : spec.serviceMs;
  const fullMs = aborted
    ? null
    : spec.fullMs === undefined
      ? serviceMs === null
        ? null
        : serviceMs + 300
      : spec.fullMs;
  const detectMs = aborted ? null : spec.detectMs === undefined ? 100 : spec.detectMs;
  const unavailableMs = aborted
    ? null
    : spec.unavailableMs === undefined
      ? serviceMs === null || detectMs === null
        ? null
        : serviceMs + 50
      : spec.unavailableMs;
  const lost = spec.lost ?? 0;
  const runId =
    spec.runId ??
    `${drill}-${variant}-${iso(start).replace(/[-:]/g, '').replace(/\..*/, '')}-${(seq++).toString(16).padStart(4, '0')}`;
  const timeline: DrillResult['timeline'] = [
    { marker: 'T_steady', at: iso(start + 500), note: '5 consecutive canaries ok' },
  ];
  if (!aborted) {
    timeline.push({ marker: 'T0', at: iso(t0), note: spec.noteOnT0 ?? 'SIGKILL broker 2' });
    timeline.push({ marker: 'T0_done', at: iso(t0 + 5) });
    if (detectMs !== null)
      timeline.push({ marker: 'T_detect', at: iso(t0 + detectMs), note: 'first failed canary after T0' });
    if (serviceMs !== null)
      timeline.push({
        marker: 'T_service',
        at: iso(t0 + serviceMs),
        note: 'first of 5 consecutive successful canaries',
      });
    if (fullMs !== null)
      timeline.push({ marker: 'T_full', at: iso(t0 + fullMs), note: 'full-recovery predicate holds' });
  }
  // A run that never recovered watched until its deadline (60 s), then reverted the fault.
  const end = t0 + Math.max(serviceMs ?? 0, fullMs ?? 0, !aborted && serviceMs === null ? 60_000 : 0) + 1_000;
  timeline.push({ marker: 'T_recorded', at: iso(end) });
  return {
    runId,
    drill,
    variant,
    platform: 'local',
    hypothesis:
      'losing the partition leader is invisible to producers after the target RTO, with no acknowledged write lost',
    startedAt: iso(start),
    finishedAt: iso(end),
    verdict,
    ...(spec.reason !== undefined
      ? { reason: spec.reason }
      : verdict !== 'MET'
        ? { reason: `${verdict.toLowerCase()} for a test` }
        : {}),
    targets: {
      rtoMs: spec.targetRtoMs ?? 30_000,
      rpoMs: spec.targetRpoMs === undefined ? 0 : spec.targetRpoMs,
      source: spec.source ?? 'seed: DR table, Kafka',
    },
    rto: { serviceMs, fullMs, detectMs, unavailableMs, probeIntervalMs: 50 },
    rpo: {
      acked: aborted ? 0 : (spec.acked ?? 500),
      lost: aborted ? 0 : lost,
      corrupted: aborted ? 0 : (spec.corrupted ?? 0),
      recovered: 0,
      unknown: 1,
      unexpected: spec.unexpected ?? 0,
      duplicated: spec.duplicated ?? 0,
      seconds: aborted ? null : spec.rpoSeconds === undefined ? (lost ? 0.25 : 0) : spec.rpoSeconds,
      nonPrefix: spec.nonPrefix ?? false,
      recoveryPointAt: null,
      failed: 40,
      measured: aborted ? false : (spec.measured ?? true),
      recoveryPointSeconds: spec.recoveryPointSeconds ?? null,
    },
    timeline,
    evidence: {
      deadlineMs: 60_000,
      consecutiveOk: 5,
      ledgerSha256: spec.ledgerSha256 === undefined ? 'ab12'.repeat(16) : spec.ledgerSha256,
      config: spec.config ?? {
        acks: 'all',
        minInsyncReplicas: 2,
        uncleanLeaderElection: false,
        replicationFactor: 3,
      },
      versions: { kafka: '4.4.0', node: 'v20.20.2' },
      artifactsDir: `reports/${runId}/`,
    },
  };
}

/**
 * Canary samples every `every` ms from 1 s before T0 to 1 s after recovery, failing from T_detect
 * until T_service (or to the end when the run never recovered); 8 ms latency when ok, 2 ms failed.
 */
export function canarySamples(r: DrillResult, every = 50): CanarySample[] {
  const t0 = Date.parse(r.timeline.find((m) => m.marker === 'T0')?.at ?? r.startedAt);
  const detect = r.rto.detectMs === null ? Infinity : t0 + r.rto.detectMs;
  const service = r.rto.serviceMs === null ? Infinity : t0 + r.rto.serviceMs;
  const last = Date.parse(r.finishedAt);
  const out: CanarySample[] = [];
  for (let at = t0 - 1_000; at <= last; at += every) {
    const ok = at < detect || at >= service;
    out.push(
      ok ? { at, end: at + 8 + (at % 7), ok } : { at, end: at + 2, ok, error: 'ECONNREFUSED 127.0.0.1:9092' },
    );
  }
  return out;
}

export const samplesFor = (runs: DrillResult[]) => new Map(runs.map((r) => [r.runId, canarySamples(r)]));

/** A month of runs of three drills, with a breach, an inconclusive and an aborted run among them. */
export function monthOfRuns(): DrillResult[] {
  const k = (day: number, serviceMs: number | null, over: RunSpec = {}) =>
    makeRun({
      drill: 'kafka-broker-kill',
      variant: 'leader',
      start: EPOCH + day * DAY,
      serviceMs,
      targetRtoMs: 300_000,
      ...over,
    });
  const t = (day: number, serviceMs: number | null, over: RunSpec = {}) =>
    makeRun({
      drill: 'timescaledb-failover',
      variant: 'kill-primary',
      start: EPOCH + day * DAY + 3_600_000,
      serviceMs,
      targetRtoMs: 30_000,
      targetRpoMs: null,
      source: 'seed: HA, "Patroni … < 30s RTO"',
      config: { ttl: 30, loop_wait: 10, retry_timeout: 10, synchronous_mode: false },
      ...over,
    });
  return [
    k(0, 4_200),
    k(3, 3_900),
    k(7, 5_100, { variant: 'any-broker' }),
    k(10, 4_600),
    k(14, 7_800, {
      verdict: 'BREACHED',
      lost: 3,
      nonPrefix: true,
      rpoSeconds: 0.4,
      reason: '3 acknowledged writes lost (RPO 0 promised); non-prefix loss',
    }),
    k(21, 4_000),
    k(28, 3_700),
    t(1, 18_000, { lost: 2, rpoSeconds: 0.8 }),
    t(8, 24_500),
    t(15, 41_000, { verdict: 'BREACHED', reason: 'RTO 41 s exceeds the 30 s target' }),
    t(16, null, { verdict: 'ABORTED', reason: 'steady state did not hold: replica lag 12 s' }),
    t(22, 27_000, {
      verdict: 'INCONCLUSIVE',
      measured: false,
      reason: 'the ledger could not be read back: relation "ledger" does not exist',
    }),
    t(29, 22_000),
    makeRun({
      drill: 'minio-restore',
      variant: 'kill-2-of-4',
      start: EPOCH + 12 * DAY,
      serviceMs: 9_500,
      targetRtoMs: 3_600_000,
      source: 'seed: DR table, MinIO HA',
      config: { ecParity: 2, drives: 4 },
    }),
  ];
}

/** What the engine records as the reason of a run whose revert gave up: what is still broken. */
export const FAULT_LEFT_REASON =
  'the revert of "SIGKILL broker 2" gave up after 20 attempts (last error: ECONNREFUSED 127.0.0.1:9093): broker 2 is still down';

/** A run whose compensation gave up: it measured a recovery, then left its fault in place. */
export const faultLeftRun = (spec: RunSpec = {}) =>
  makeRun({ verdict: 'FAULT-LEFT', reason: FAULT_LEFT_REASON, ...spec });

/** monthOfRuns, and a kafka-broker-kill run (day 17, RTO 4.4 s) whose revert gave up. */
export function monthWithFaultLeft(): DrillResult[] {
  return [
    ...monthOfRuns(),
    faultLeftRun({
      drill: 'kafka-broker-kill',
      variant: 'leader',
      runId: 'kafka-broker-kill-leader-20261118T080000-left',
      start: EPOCH + 17 * DAY,
      serviceMs: 4_400,
      targetRtoMs: 300_000,
    }),
  ];
}
