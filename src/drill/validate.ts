// Checks a drill definition and a run request before anything is injected, and turns them into a
// plan: variant, options with defaults, targets (from the topology unless overridden), deadline.
import { component, drTarget, type Topology } from '../topology/model.ts';
import { formatDuration, parseDuration } from '../topology/duration.ts';
import { UserError } from '../util/errors.ts';
import { own, ownNames } from '../util/own.ts';
import type { Targets } from '../measure/types.ts';
import type { DrillDefinition, OptionValue, VariantSpec } from './definition.ts';
import { coerceOption, drillOptions, optionBounds } from './options.ts';
import type { DrillPlan } from './plan.ts';
import { checkProbe } from './probe.ts';

export interface RunRequest {
  drill: string;
  variant?: string;
  options?: Record<string, unknown>;
  /** Overrides of the topology's targets, as durations ("30s") or ms. */
  targets?: { rto?: string | number; rpo?: string | number };
  deadline?: string | number;
}

export type { DrillPlan } from './plan.ts';

/** The recovery watch never runs longer than this unless the run asks for it (--deadline). */
export const MAX_DEADLINE_MS = 10 * 60_000;
/** The longest --deadline: the watch step itself times out after 3 h, and the revert must fit. */
export const MAX_REQUESTED_DEADLINE_MS = 2 * 3_600_000;

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
  // A variant's name becomes part of the run id, hence of a folder name.
  for (const variant of Object.keys(d.variants!))
    if (!/^[a-z0-9][a-z0-9-]*$/.test(variant))
      throw bad(`variants.${variant}`, 'must be named with lower-case words joined by dashes');
  if (!own(d.variants!, d.defaultVariant!))
    throw bad('defaultVariant', `"${d.defaultVariant}" is not one of the variants (${ownNames(d.variants)})`);
  try {
    resolveTargets(d as DrillDefinition, topology);
  } catch (err) {
    throw bad('target', `does not resolve: ${(err as Error).message}`);
  }
  const instance = d.target!.instanceOption;
  if (instance !== undefined) {
    const spec = own(d.options, instance);
    if (!spec || spec.type !== 'string' || spec.default === undefined)
      throw bad('target.instanceOption', `"${instance}" must name a string option with a default`);
    if (!spec.check)
      throw bad(`options.${instance}`, 'names an instance: give it a check() that holds it to a pattern');
  }
  const batch = d.ledger?.batch;
  if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1 && batch <= 1_000))
    throw bad('ledger.batch', `${batch} must be a whole number from 1 to 1000`);
  if (batch !== undefined && batch > 1 && typeof d.writeBatch !== 'function')
    throw bad('ledger.batch', `is ${batch}, but the drill has no writeBatch() to write a batch with`);
  const rate = d.ledger?.maxRate;
  if (rate !== undefined && !(Number.isFinite(rate) && rate >= 0))
    throw bad('ledger.maxRate', `${rate} must be a number of records per second, 0 for unpaced`);
  for (const [name, spec] of Object.entries(d.options ?? {})) {
    if (!['number', 'string', 'boolean', 'duration'].includes(spec.type))
      throw bad(`options.${name}.type`, `"${spec.type}" is not number, string, boolean or duration`);
    if (spec.type === 'number' && (spec.min === undefined || spec.max === undefined))
      throw bad(`options.${name}`, 'is a number without min and max: declare the range it must fall in');
    if (spec.holdsFault && spec.type !== 'duration')
      throw bad(`options.${name}.holdsFault`, 'only a duration can hold a fault in place');
    try {
      optionBounds(name, spec);
      if (spec.default !== undefined) coerceOption(d.name!, name, spec, spec.default);
    } catch (err) {
      throw bad(`options.${name}`, `is declared wrongly: ${(err as Error).message}`);
    }
  }
  for (const [variant, spec] of Object.entries(d.variants ?? {}))
    for (const [name, value] of Object.entries(spec.defaults ?? {})) {
      const option = own(d.options, name);
      if (!option)
        throw bad(`variants.${variant}.defaults.${name}`, `sets an option the drill does not declare`);
      try {
        coerceOption(d.name!, name, option, value);
      } catch (err) {
        throw bad(`variants.${variant}.defaults.${name}`, (err as Error).message);
      }
    }
}

/** The request's options checked against the drill's declarations, with defaults filled in. */
function checkOptions(
  d: DrillDefinition,
  variantSpec: VariantSpec,
  requested: Record<string, unknown>,
): Record<string, OptionValue> {
  for (const name of Object.keys(requested)) {
    if (!own(d.options, name))
      throw new UserError(
        `drill ${d.name} has no option "${name}"`,
        `its options are: ${ownNames(d.options)}`,
      );
  }
  const options: Record<string, OptionValue> = {};
  for (const [name, spec] of Object.entries(d.options ?? {})) {
    const raw = own(requested, name) ?? own(variantSpec.defaults, name) ?? spec.default;
    if (raw !== undefined) options[name] = coerceOption(d.name, name, spec, raw);
  }
  return options;
}

export function planRun(d: DrillDefinition, req: RunRequest, topology: Topology): DrillPlan {
  const variant = req.variant ?? d.defaultVariant;
  const variantSpec = typeof variant === 'string' ? own(d.variants, variant) : undefined;
  if (!variantSpec) {
    throw new UserError(
      `drill ${d.name} has no variant "${String(variant)}"`,
      `choose one of: ${ownNames(d.variants)}`,
    );
  }
  const options = checkOptions(d, variantSpec, req.options ?? {});
  const typed = drillOptions(d.name, d.options, options);
  for (const [name, spec] of Object.entries(d.options ?? {})) {
    const value = own(options, name);
    const why = value === undefined ? undefined : spec.check?.(value, typed);
    if (why) throw new UserError(`option "${name}" of ${d.name}: ${why}`);
  }

  const model = resolveTargets(d, topology);
  const override = (what: string, v: string | number | undefined, maxMs?: number) => {
    if (v === undefined) return undefined;
    try {
      return parseDuration(v, what, maxMs);
    } catch (err) {
      throw new UserError((err as Error).message, 'write a duration such as 30s, 5m or 1h');
    }
  };
  const rto = override('target rto', req.targets?.rto);
  const rpo = override('target rpo', req.targets?.rpo);
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
      ? override('--deadline', req.deadline, MAX_REQUESTED_DEADLINE_MS)!
      : Math.min(2 * targets.rtoMs, MAX_DEADLINE_MS);
  if (deadlineMs <= 0)
    throw new UserError(
      'the recovery deadline must be positive',
      `e.g. --deadline ${formatDuration(2 * targets.rtoMs)}`,
    );
  // An option that keeps the fault in place past the deadline would leave the fault running while
  // the plan promises it is reverted by then (kafka restart-after=30d).
  for (const [name, spec] of Object.entries(d.options ?? {})) {
    const held = options[name];
    if (spec.holdsFault && typeof held === 'number' && held >= deadlineMs)
      throw new UserError(
        `option "${name}" of ${d.name} keeps the fault in place for ${formatDuration(held)}, not less than the run's recovery deadline of ${formatDuration(deadlineMs)}`,
        `give a shorter ${name}, or a longer --deadline (at most ${formatDuration(MAX_REQUESTED_DEADLINE_MS)})`,
      );
  }
  const after = d.remediateAfterMs?.(typed);
  return checkProbe({
    drill: d.name,
    title: d.title,
    hypothesis: d.hypothesis,
    variant,
    options,
    component: d.target.component,
    target: d.target.instanceOption
      ? `${d.target.component}/${typed.string(d.target.instanceOption)}`
      : d.target.component,
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
      (typeof options['writes-before'] === 'number' ? options['writes-before'] : undefined) ??
      d.ledger?.minAckedBeforeFault ??
      50,
    remediateAfterMs: after ?? null,
    needs: d.needs,
  });
}
