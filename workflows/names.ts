// Names shared by workflows, activities, the worker and the CLI: one place, no drift.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PlatformRef } from '../src/platform/platform.ts';

export const TASK_QUEUE = 'firedrill';

/** The operator's red button: revert the fault now; the verdict becomes ABORTED. */
export const abortSignal = defineSignal<[string?]>('abort');
/** Live canary counts, sent by the recovery watch (activities cannot answer queries). */
export const canaryProgressSignal = defineSignal<[CanaryProgress]>('canaryProgress');
export const progressQuery = defineQuery<DrillProgress>('progress');
export const gameDayProgressQuery = defineQuery<GameDayProgress>('gameDayProgress');
/** Stop a game day: its running drill is aborted (and reverted), no further drill starts. */
export const stopGameDaySignal = defineSignal<[string?]>('stopGameDay');

export interface CanaryProgress {
  ok: number;
  failed: number;
  lastOk: boolean | null;
}

export type Phase =
  | 'validate'
  | 'preflight'
  | 'steady-state'
  | 'ledger'
  | 'inject'
  | 'recover'
  | 'verify'
  | 'compensate'
  | 'record'
  | 'done';

export interface DrillProgress {
  runId: string;
  drill: string;
  variant: string;
  phase: Phase;
  startedAt: number;
  elapsedMs: number;
  canary: CanaryProgress;
  markers: { marker: string; at: number; note?: string }[];
  aborted?: string;
  /** The compensation gave up on these: they are still in place. */
  faultLeft?: { id: number; description: string; touched: string[] }[];
}

export interface GameDayProgress {
  gameDayId: string;
  total: number;
  current: number;
  results: { runId: string; drill: string; variant?: string; verdict?: string; error?: string }[];
  /** Why the game day was stopped (stopGameDaySignal): the drills after `current` never start. */
  stopped?: string;
}

// ---------- targets ----------
// The name a run holds its target by: its workflow id (one drill per target per Temporal
// namespace) and its lock in the results database (one per target across every worker, entry
// point and namespace) are the same string: `firedrill-target:<target>@<place>`. A target
// ("kafka", "calibration/c17") never contains "@"; a place ("local:default", "k8s:<context>")
// comes last, as a context name may contain anything.

const TARGET_PREFIX = 'firedrill-target:';

export const placeOf = (platform: PlatformRef): string =>
  platform.kind === 'local' ? `local:${platform.sandbox ?? 'default'}` : `k8s:${platform.context}`;

export function targetKey(platform: PlatformRef, target: string): string {
  return `${TARGET_PREFIX}${target}@${placeOf(platform)}`;
}

/** The target and place a key names; undefined for a string that is not a target key. */
export function parseTargetKey(key: string): { target: string; place: string } | undefined {
  if (!key.startsWith(TARGET_PREFIX)) return undefined;
  const at = key.indexOf('@', TARGET_PREFIX.length);
  if (at < 0) return undefined;
  return { target: key.slice(TARGET_PREFIX.length, at), place: key.slice(at + 1) };
}

/** Whether a key holds `component` (the whole of it, or one instance) at the platform's place. */
export function holdsComponent(key: string, platform: PlatformRef, component: string): boolean {
  const k = parseTargetKey(key);
  return (
    !!k && k.place === placeOf(platform) && (k.target === component || k.target.startsWith(`${component}/`))
  );
}

/** One drill per target at a time: the workflow id names the target (plan.target), not the run. */
export const targetWorkflowId = (platform: PlatformRef, target: string): string =>
  targetKey(platform, target);

// ---------- deployTopologyWorkflow ----------

/** The deploy's progress: which tier, how many objects applied, which rollouts it waits for. */
export const deployProgressQuery = defineQuery<DeployProgress>('progress');
/** Live rollout status from the awaitRollout activities (activities cannot answer queries). */
export const rolloutStatusSignal = defineSignal<[RolloutReport]>('rolloutStatus');

export interface RolloutReport {
  /** "Kind namespace/name" */
  workload: string;
  ready: number;
  desired: number;
  detail: string;
}

export interface DeployProgress {
  context: string;
  phase: 'validate' | 'apply' | 'done';
  tiers: string[];
  tier?: string;
  applied: number;
  total: number;
  created: number;
  configured: number;
  unchanged: number;
  waitingFor: RolloutReport[];
  startedAt: number;
  elapsedMs: number;
}

/** One deploy per context at a time. */
export const deployWorkflowId = (context: string) => `firedrill-deploy-${context}`;
