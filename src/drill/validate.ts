// Checks a drill definition and a run request before anything is injected, and turns them into a
// plan: variant, options with defaults, targets (from the topology unless overridden), deadline.
import { component, drTarget, type Topology } from '../topology/model.ts';
import { formatDuration, parseDuration } from '../topology/duration.ts';
import { UserError } from '../util/errors.ts';
import type { Targets } from '../measure/types.ts';
import type { DrillDefinition } from './definition.ts';
import { checkProbe } from './probe.ts';

export interface RunRequest {
  drill: string;
  variant?: string;
  options?: Record<string, unknown>;
  /** Overrides of the topology's targets, as durations ("30s") or ms. */
  targets?: { rto?: string | number; rpo?: string | number };
  deadline?: string | number;
}

export interface DrillPlan {
  drill: string;
  title: string;
  hypothesis: string;
  variant: string;
  options: Record<string, unknown>;
  component: string;
  scenario: string;
  targets: Targets;
  deadlineMs: number;
  probeIntervalMs: number;
  consecutiveOk: number;
  probeTimeoutMs: number;
  /** The drill's own latency bound; null: derived from the steady state. */
  latencyBoundMs: number | null;
  ledgerConcurrency: number;
  /** Records per write call (1 = write(); more = writeBatch()). */
  ledgerBatch: number;
  /** Records per second while the drill runs (0 = unpaced). */
  ledgerMaxRate: number;
  exactlyOnce: boolean;
  minAckedBeforeFault: number;
  remediateAfterMs: number | null;
  needs: string[];
}

/** The recovery watch never runs longer than this unless the run asks for it (--deadline). */
export const MAX_DEADLINE_MS = 10 * 60_000;

/** The drill's default targets: the topology model's DR annotation, or the drill's own. */
export function resolveTargets(
  d: DrillDefinition,
  topology: Topology,
): { rtoMs: number; rpoMs: number | null; source: string } {
  const inModel = topology.components.some((c) => c.name === d.target.component);
  if (inModel || !d.target.targets)
    return drTarget(component(topology, d.target.component), d.target.scenario);
  const own = d.target.targets;
  return {
    rtoMs: parseDuration(own.rto, 'target.targets.rto'),
    rpoMs: parseDuration(own.rpo, 'target.targets.rpo'),
    source: own.source,
  };
}

const REQUIRED: (keyof DrillDefinition)[] = [
  'name',
  'title',
  'hypothesis',
  'target',
  'variants',
  'defaultVariant',
  'needs',
  'open',
  'close',
  'canary',
  'write',
  'isDefiniteFailure',
  'readBack',
  'inject',
  'confirm',
  'fullyRecovered',
  'revert',
  'config',
];

/** Structural checks of a drill file; every message names the field and why. */
export function validateDefinition(d: Partial<DrillDefinition>, file: string, topology: Topology): void {
  const bad = (field: string, why: string) => new UserError(`drill file ${file}: field "${field}" ${why}`);
  for (const field of REQUIRED) if (d[field] === undefined) throw bad(field, 'is missing');
  if (!/^[a-z][a-z0-9-]*$/.test(d.name!))
    throw bad('name', `"${d.name}" must be lower-case words joined by dashes`);
  if (!Object.keys(d.variants!).length) throw bad('variants', 'must name at least one variant');
  if (!d.variants![d.defaultVariant!])
    throw bad(
      'defaultVariant',
      `"${d.defaultVariant}" is not one of the variants (${Object.keys(d.variants!).join(', ')})`,
    );
  try {
    resolveTargets(d as DrillDefinition, topology);
  } catch (err) {
    throw bad('target', `does not resolve: ${(err as Error).message}`);
  }
  const batch = d.ledger?.batch;
  if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1 && batch <= 1_000))
    throw bad('ledger.batch', `${batch} must be a whole number from 1 to 1000`);
  if (batch !== undefined && batch > 1 && typeof d.writeBatch !== 'function')
    throw bad('ledger.batch', `is ${batch}, but the drill has no writeBatch() to write a batch with`);
  const rate = d.ledger?.maxRate;
  if (rate !== undefined && !(Number.isFinite(rate) && rate >= 0))
    throw bad('ledger.maxRate', `${rate} must be a number of records per second, 0 for unpaced`);
  for (const [variant, spec] of Object.entries(d.variants ?? {}))
    for (const name of Object.keys(spec.defaults ?? {}))
      if (!d.options?.[name])
        throw bad(`variants.${variant}.defaults.${name}`, `sets an option the drill does not declare`);
  for (const [name, spec] of Object.entries(d.options ?? {})) {
    if (!['number', 'string', 'boolean', 'duration'].includes(spec.type))
      throw bad(`options.${name}.type`, `"${spec.type}" is not number, string, boolean or duration`);
  }
}

function coerceOption(
  drill: string,
  name: string,
  spec: NonNullable<DrillDefinition['options']>[string],
  raw: unknown,
): unknown {
  const where = `option "${name}" of ${drill}`;
  switch (spec.type) {
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(n)) throw new UserError(`${where}: "${raw}" is not a number`, spec.description);
      return n;
    }
    case 'duration':
      try {
        return parseDuration(raw as string | number, where);
      } catch (err) {
        throw new UserError((err as Error).message);
      }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new UserError(`${where}: "${raw}" is not true or false`);
    default:
      return String(raw);
  }
}

export function planRun(d: DrillDefinition, req: RunRequest, topology: Topology): DrillPlan {
  const variant = req.variant ?? d.defaultVariant;
  if (!d.variants[variant]) {
    throw new UserError(
      `drill ${d.name} has no variant "${variant}"`,
      `choose one of: ${Object.keys(d.variants).join(', ')}`,
    );
  }
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(d.options ?? {})) {
    const raw = req.options?.[name] ?? d.variants[variant]!.defaults?.[name] ?? spec.default;
    if (raw !== undefined) options[name] = coerceOption(d.name, name, spec, raw);
  }
  for (const name of Object.keys(req.options ?? {})) {
    if (!d.options?.[name]) {
      const known = Object.keys(d.options ?? {}).join(', ') || 'none';
      throw new UserError(`drill ${d.name} has no option "${name}"`, `its options are: ${known}`);
    }
  }
  for (const [name, spec] of Object.entries(d.options ?? {})) {
    const why = spec.check?.(options[name], options);
    if (why) throw new UserError(`option "${name}" of ${d.name}: ${why}`);
  }

  const model = resolveTargets(d, topology);
  const override = (what: 'rto' | 'rpo', v: string | number | undefined) => {
    if (v === undefined) return undefined;
    try {
      return parseDuration(v, `target ${what}`);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  };
  const rto = override('rto', req.targets?.rto);
  const rpo = override('rpo', req.targets?.rpo);
  const targets: Targets = {
    rtoMs: rto ?? model.rtoMs,
    rpoMs: rpo ?? model.rpoMs,
    source: rto !== undefined || rpo !== undefined ? `override (model: ${model.source})` : model.source,
  };
  if (targets.rtoMs <= 0)
    throw new UserError(
      `target RTO ${targets.rtoMs} ms makes no sense`,
      'give a positive duration such as 30s',
    );

  const deadlineMs =
    req.deadline !== undefined
      ? override('rto', req.deadline)!
      : Math.min(2 * targets.rtoMs, MAX_DEADLINE_MS);
  if (deadlineMs <= 0)
    throw new UserError(
      'the recovery deadline must be positive',
      `e.g. --deadline ${formatDuration(2 * targets.rtoMs)}`,
    );
  const after = d.remediateAfterMs?.(options);
  return checkProbe({
    drill: d.name,
    title: d.title,
    hypothesis: d.hypothesis,
    variant,
    options,
    component: d.target.component,
    scenario: d.target.scenario,
    targets,
    deadlineMs,
    probeIntervalMs: d.probe?.intervalMs ?? 50,
    consecutiveOk: d.probe?.consecutiveOk ?? 5,
    probeTimeoutMs: d.probe?.timeoutMs ?? 1_000,
    latencyBoundMs: d.probe?.latencyBoundMs ?? null,
    ledgerConcurrency: d.ledger?.concurrency ?? 8,
    ledgerBatch: d.ledger?.batch ?? 1,
    ledgerMaxRate: d.ledger?.maxRate ?? 1_000,
    exactlyOnce: d.ledger?.exactlyOnce ?? false,
    // A drill may expose the count as its `writes-before` option.
    minAckedBeforeFault:
      (options['writes-before'] as number | undefined) ?? d.ledger?.minAckedBeforeFault ?? 50,
    remediateAfterMs: after ?? null,
    needs: d.needs,
  });
}
