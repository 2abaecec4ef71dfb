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
}

export interface GameDayProgress {
  gameDayId: string;
  total: number;
  current: number;
  results: { runId: string; drill: string; variant?: string; verdict?: string; error?: string }[];
}

/** One drill per target at a time: the workflow id names the target, not the run. */
export function targetWorkflowId(platform: PlatformRef, component: string): string {
  const where =
    platform.kind === 'local' ? `local-${platform.sandbox ?? 'default'}` : `k8s-${platform.context}`;
  return `firedrill-target-${where}-${component}`;
}

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
