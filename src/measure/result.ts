// The result record (measurement spec, "The result record (contract)"): built from the measured
// figures, and validated against the contract scripts and dashboards depend on. Pure.
import type {
  DrillResult,
  LedgerClassification,
  Marker,
  RecoveryFigures,
  Targets,
  Verdict,
} from './types.ts';
import { VERDICTS } from './types.ts';

export interface ResultInput {
  runId: string;
  drill: string;
  variant: string;
  platform: string;
  hypothesis?: string;
  startedAt: number;
  finishedAt: number;
  targets: Targets;
  verdict: Verdict;
  reason?: string;
  markers: Marker[];
  recovery: RecoveryFigures;
  /** T_full; falls back to the T_full marker. */
  fullAt?: number;
  /** T0; falls back to the T0 marker. */
  t0?: number;
  probeIntervalMs: number;
  /** The achieved resolution (largest start-to-start gap in the recovery); null: not measured. */
  resolutionMs?: number | null;
  latencyBoundMs?: number | null;
  ledger: LedgerClassification | null;
  recoveryPointAt?: number | null;
  ledgerSha256: string | null;
  config: Record<string, unknown>;
  versions: Record<string, string>;
  artifactsDir: string;
  extraEvidence?: Record<string, unknown>;
}

/** At most this many lost/corrupted ids are copied into the evidence (the ledger file has them all). */
export const MAX_IDS_IN_EVIDENCE = 1000;

function iso(ms: number, what: string): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new RangeError(`${what}: ${ms} is not an instant`);
  return new Date(ms).toISOString();
}

/**
 * Builds the result record: instants as ISO-8601 UTC strings, the timeline sorted by time (markers
 * the recovery figures imply — T0, T_detect, T_service, T_full — are added when the markers lack
 * them), fullMs = T_full − T0, null wherever nothing was measured, and `reason` only when the verdict
 * is not MET. Contract fields of the evidence cannot be overridden by `extraEvidence`.
 */
export function buildResult(input: ResultInput): DrillResult {
  const { recovery, ledger } = input;
  const markerAt = (name: string) => input.markers.find((m) => m.marker === name)?.at;
  const t0 = input.t0 ?? markerAt('T0');
  const fullAt = input.fullAt ?? markerAt('T_full');

  const markers: Marker[] = [...input.markers];
  const derive = (marker: string, at: number | undefined, note: string) => {
    if (at !== undefined && !markers.some((m) => m.marker === marker)) markers.push({ marker, at, note });
  };
  derive('T0', t0, 'fault command issued');
  derive('T_detect', recovery.detectAt, 'first failed canary after T0');
  derive('T_service', recovery.serviceAt, 'first canary of the first run of consecutive successes');
  derive('T_full', fullAt, 'full-recovery predicate holds');
  const timeline = markers
    .map((m, i) => ({ m, i }))
    .sort((a, b) => a.m.at - b.m.at || a.i - b.i)
    .map(({ m }) => ({
      marker: m.marker,
      at: iso(m.at, `marker ${m.marker}`),
      ...(m.note !== undefined ? { note: m.note } : {}),
    }));

  const recoveryPointAt = input.recoveryPointAt ?? null;
  const result: DrillResult = {
    runId: input.runId,
    drill: input.drill,
    variant: input.variant,
    platform: input.platform,
    ...(input.hypothesis !== undefined ? { hypothesis: input.hypothesis } : {}),
    startedAt: iso(input.startedAt, 'startedAt'),
    finishedAt: iso(input.finishedAt, 'finishedAt'),
    verdict: input.verdict,
    ...(input.verdict !== 'MET'
      ? { reason: input.reason ?? `${input.verdict} (no reason was recorded)` }
      : {}),
    targets: { ...input.targets },
    rto: {
      serviceMs: recovery.serviceMs ?? null,
      fullMs: fullAt !== undefined && t0 !== undefined ? fullAt - t0 : null,
      detectMs: recovery.detectMs ?? null,
      unavailableMs: recovery.unavailableMs ?? null,
      probeIntervalMs: input.probeIntervalMs,
      resolutionMs: input.resolutionMs ?? null,
      latencyBoundMs: input.latencyBoundMs ?? null,
      outstandingAtService: recovery.outstandingAtService ?? null,
    },
    rpo: {
      acked: ledger?.acked ?? 0,
      lost: ledger?.lost ?? 0,
      corrupted: ledger?.corrupted ?? 0,
      recovered: ledger?.recovered ?? 0,
      unknown: ledger?.unknown ?? 0,
      unexpected: ledger?.unexpected ?? 0,
      duplicated: ledger?.duplicated ?? 0,
      seconds: ledger ? ledger.seconds : null,
      nonPrefix: ledger?.nonPrefix ?? false,
      recoveryPointAt: recoveryPointAt === null ? null : iso(recoveryPointAt, 'recoveryPointAt'),
      failed: ledger?.failed ?? 0,
      measured: ledger !== null,
      recoveryPointSeconds:
        recoveryPointAt !== null && t0 !== undefined ? (t0 - recoveryPointAt) / 1000 : null,
    },
    timeline,
    evidence: {
      ...input.extraEvidence,
      ...(ledger
        ? {
            lostIds: ledger.lostIds.slice(0, MAX_IDS_IN_EVIDENCE),
            corruptedIds: ledger.corruptedIds.slice(0, MAX_IDS_IN_EVIDENCE),
          }
        : {}),
      ledgerSha256: input.ledgerSha256,
      config: input.config,
      versions: input.versions,
      artifactsDir: input.artifactsDir,
    },
  };
  return result;
}

// ---------------------------------------------------------------------------------------------
// Validation against the contract

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SHA256_RE = /^[0-9a-f]{64}$/i;

const describe = (v: unknown) =>
  v === undefined
    ? 'missing'
    : `got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v} ${JSON.stringify(v)?.slice(0, 60) ?? ''}`.trimEnd();

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const nonEmptyStr: Check = (v) => typeof v === 'string' && v.length > 0;
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const nonNegNum: Check = (v) => num(v) && (v as number) >= 0;
const count: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const isoStr: Check = (v) => typeof v === 'string' && ISO_RE.test(v) && !Number.isNaN(Date.parse(v));
const orNull =
  (c: Check): Check =>
  (v) =>
    v === null || c(v);

/**
 * The contract violations of a result record (missing or renamed fields, wrong types, an
 * unsorted timeline, a missing reason when the verdict is not MET), each as "path: problem".
 * Empty when the record honours the contract. Extra fields are allowed.
 */
export function validateResult(r: unknown): string[] {
  const errors: string[] = [];
  const check = (path: string, value: unknown, ok: Check, expected: string) => {
    if (!ok(value)) errors.push(`${path}: expected ${expected}, ${describe(value)}`);
  };
  const object = (path: string, value: unknown): Record<string, unknown> | undefined => {
    if (isObject(value)) return value;
    errors.push(`${path}: expected an object, ${describe(value)}`);
    return undefined;
  };

  const root = object('result', r);
  if (!root) return errors;
  for (const k of ['runId', 'drill', 'platform'] as const)
    check(k, root[k], nonEmptyStr, 'a non-empty string');
  check('variant', root.variant, str, 'a string');
  check('startedAt', root.startedAt, isoStr, 'an ISO-8601 instant');
  check('finishedAt', root.finishedAt, isoStr, 'an ISO-8601 instant');
  if (isoStr(root.startedAt) && isoStr(root.finishedAt)) {
    if (Date.parse(root.finishedAt as string) < Date.parse(root.startedAt as string)) {
      errors.push('finishedAt: earlier than startedAt');
    }
  }
  check(
    'verdict',
    root.verdict,
    (v) => (VERDICTS as readonly string[]).includes(v as string),
    `one of ${VERDICTS.join(', ')}`,
  );
  if (root.verdict !== 'MET' || root.reason !== undefined) {
    check('reason', root.reason, nonEmptyStr, `a non-empty string (verdict ${String(root.verdict)})`);
  }
  if (root.hypothesis !== undefined) check('hypothesis', root.hypothesis, str, 'a string');

  const targets = object('targets', root.targets);
  if (targets) {
    check('targets.rtoMs', targets.rtoMs, nonNegNum, 'a non-negative number');
    check('targets.rpoMs', targets.rpoMs, orNull(nonNegNum), 'a non-negative number or null');
    check('targets.source', targets.source, str, 'a string');
  }

  const rto = object('rto', root.rto);
  if (rto) {
    for (const k of ['serviceMs', 'fullMs', 'detectMs', 'unavailableMs']) {
      check(`rto.${k}`, rto[k], orNull(num), 'a number or null');
    }
    check('rto.probeIntervalMs', rto.probeIntervalMs, nonNegNum, 'a non-negative number');
  }

  const rpo = object('rpo', root.rpo);
  if (rpo) {
    for (const k of ['acked', 'lost', 'corrupted', 'recovered', 'unknown', 'unexpected', 'duplicated']) {
      check(`rpo.${k}`, rpo[k], count, 'a non-negative integer');
    }
    check('rpo.seconds', rpo.seconds, orNull(nonNegNum), 'a non-negative number or null');
    check('rpo.nonPrefix', rpo.nonPrefix, (v) => typeof v === 'boolean', 'a boolean');
    check('rpo.recoveryPointAt', rpo.recoveryPointAt, orNull(isoStr), 'an ISO-8601 instant or null');
  }

  if (!Array.isArray(root.timeline)) {
    errors.push(`timeline: expected an array, ${describe(root.timeline)}`);
  } else {
    let previous = -Infinity;
    root.timeline.forEach((m: unknown, i) => {
      const entry = object(`timeline[${i}]`, m);
      if (!entry) return;
      check(`timeline[${i}].marker`, entry.marker, nonEmptyStr, 'a non-empty string');
      check(`timeline[${i}].at`, entry.at, isoStr, 'an ISO-8601 instant');
      if (entry.note !== undefined) check(`timeline[${i}].note`, entry.note, str, 'a string');
      if (isoStr(entry.at)) {
        const at = Date.parse(entry.at as string);
        if (at < previous)
          errors.push(`timeline[${i}].at: earlier than the marker before it (not sorted by time)`);
        previous = at;
      }
    });
  }

  const evidence = object('evidence', root.evidence);
  if (evidence) {
    check(
      'evidence.ledgerSha256',
      evidence.ledgerSha256,
      orNull((v) => str(v) && SHA256_RE.test(v as string)),
      'a hex SHA-256 or null',
    );
    check('evidence.config', evidence.config, isObject, 'an object');
    check(
      'evidence.versions',
      evidence.versions,
      (v) => isObject(v) && Object.values(v).every((x) => typeof x === 'string'),
      'an object of strings',
    );
    check('evidence.artifactsDir', evidence.artifactsDir, str, 'a string');
  }
  return errors;
}
