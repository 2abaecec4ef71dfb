// `npm run bench:concurrency`: proof under load with more than one worker (issue 13, point 7).
// Figures, not assertions: the exit code is 0 whatever they are; a must-be-0 that is not 0 is
// printed loudly. Writes bench/concurrency.json.
//
// 100 calibration drills are started at once, each on its own instance (c1..c100) of one
// calibration process, served by 3 worker processes (each with its own run folder, as workers on
// separate machines have) on one Temporal server. When half of them have passed T0, one worker is
// SIGKILLed and restarted a few seconds later. Then: drills finished by verdict; double injections
// and effective reverts from each instance's own count; faults left from the fault journal and
// the instances; the worst |RTO(service) − outage| of the MET runs; wall time; each worker's peak
// RSS. Uses its own sandbox (FIREDRILL_BENCH_SANDBOX, default "bench-concurrency").
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import pg from 'pg';
import type { DrillInput } from '../activities/types.ts';
import { startDrill } from '../src/cli/run.ts';
import { ensureInstalled } from '../src/cli/setup.ts';
import { getDrill } from '../src/drill/catalogue.ts';
import { planRun } from '../src/drill/validate.ts';
import type { DrillResult } from '../src/measure/types.ts';
import { resultsUrl } from '../src/platform/local/components/results.ts';
import { Sandbox } from '../src/platform/local/sandbox.ts';
import { CalibrationClient } from '../src/systems/calibration/client.ts';
import { loadTopology } from '../src/topology/load.ts';
import { newRunId, reportsDir } from '../src/util/runs.ts';
import { sleep, waitFor } from '../src/util/wait.ts';
import { abortSignal, progressQuery } from '../workflows/names.ts';
import { spawnWorkerProcess } from '../worker/spawn.ts';
import {
  concurrencyFigures,
  type DrillOutcome,
  type JournalRow,
  type LockRow,
} from './concurrency-figures.ts';
import { CpuTracker } from './proc-cpu.ts';
import { freePort, rssMb } from './proc.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SANDBOX = process.env.FIREDRILL_BENCH_SANDBOX ?? 'bench-concurrency';
/** Drills started at once (FIREDRILL_BENCH_DRILLS: fewer to try the bench out). */
const DRILLS = Number(process.env.FIREDRILL_BENCH_DRILLS) || 100;
const WORKERS = 3;
// Short, so the load is the drills' machinery rather than waiting; long enough that 5 canaries at
// 50 ms and the watch's first samples fit well inside it on loaded cores.
const OUTAGE_MS = 1_500;
// Few: every drill's ledger writes as fast as the loaded cores let it (the calibration drill has no
// rate of its own below the engine's 1,000/s); 10 acknowledged writes are enough to have data at T0.
const WRITES_BEFORE = 10;
// A drill holds up to 3 activities at once (ledger, watch, inject): with one worker down, the
// other two must carry every drill's, and Temporal need not spread them evenly. Each worker can
// carry all of them alone.
const ACTIVITY_SLOTS = 3 * DRILLS + 20;
const KILLED_WORKER = 1; // w2
const RESTART_AFTER_MS = 5_000;
/**
 * Past this, drills still running are reported as unfinished, then aborted. A drill alone takes
 * ~25 s; under this load and a worker's death (a step without heartbeats waits out its 2-minute
 * start-to-close timeout) every drill of a sound run has finished well within it.
 */
const RESULTS_TIMEOUT_MS = Number(process.env.FIREDRILL_BENCH_TIMEOUT_MS) || 5 * 60_000;
/**
 * `own` (default): each worker its own run folder, as on separate machines or pods. `shared`: one
 * folder for all three, as on one machine — to tell what the shared journal does from what
 * worker-local evidence does.
 */
const RUN_FOLDERS = process.env.FIREDRILL_BENCH_RUN_FOLDERS === 'shared' ? 'shared' : 'own';
/** Evidence files whose place says which worker ran which step of a run. */
const STEP_FILES = [
  'ledger.jsonl',
  'ledger.stop',
  'canary.jsonl',
  'fault.json',
  'verify.json',
  'result.json',
];

const say = (m: string) => console.error(`bench: ${m}`);

/** One worker process: its own run folder and log, its peak RSS per incarnation. */
interface BenchWorker {
  name: string;
  runs: string;
  log: string;
  port: number;
  child?: ChildProcess;
  incarnations: { pid: number; startedAt: number; stoppedAt?: number; peakRssMb: number; killed?: boolean }[];
}

/** Set once the cleanup began: no worker is started after it (it would outlive the bench). */
let stopping = false;

function startWorker(w: BenchWorker): void {
  if (stopping) throw new Error('the bench is stopping: no worker is started');
  const out = openSync(w.log, 'a');
  w.child = spawnWorkerProcess(
    {
      FIREDRILL_SANDBOX: SANDBOX,
      FIREDRILL_LOG_LEVEL: process.env.FIREDRILL_LOG_LEVEL ?? 'warn',
      FIREDRILL_METRICS_PORT: String(w.port),
      FIREDRILL_WORKER_RUNS: w.runs,
      FIREDRILL_WORKER_ACTIVITIES: String(ACTIVITY_SLOTS),
    },
    ['ignore', out, out],
  );
  closeSync(out);
  w.incarnations.push({ pid: w.child.pid!, startedAt: Date.now(), peakRssMb: 0 });
}

async function workerReady(w: BenchWorker): Promise<void> {
  await waitFor(
    `worker ${w.name} to serve /metrics`,
    async () => (await fetch(`http://127.0.0.1:${w.port}/metrics`)).ok,
    { timeoutMs: 180_000, intervalMs: 250 },
  );
}

function signalWorker(w: BenchWorker, signal: NodeJS.Signals): void {
  if (!w.child?.pid) return;
  try {
    process.kill(-w.child.pid, signal);
  } catch {
    /* gone */
  }
  const current = w.incarnations.at(-1)!;
  current.stoppedAt ??= Date.now();
  if (signal === 'SIGKILL') current.killed ??= true;
}

/** The fault journal's rows and the target locks of these runs, from the results database. */
async function journalOf(url: string, runIds: string[]): Promise<{ rows: JournalRow[]; locks: LockRow[] }> {
  const db = new pg.Client({ connectionString: url });
  db.on('error', () => {}); // the server going away surfaces as the query's rejection
  await db.connect();
  try {
    const rows = await db.query<JournalRow>(
      `SELECT run_id AS "runId", entry, kind, state, reverts, reason FROM fault_journal
        WHERE run_id = ANY($1) ORDER BY id`,
      [runIds],
    );
    const locks = await db.query<LockRow>(
      `SELECT target, run_id AS "runId" FROM target_locks WHERE run_id = ANY($1)`,
      [runIds],
    );
    return { rows: rows.rows, locks: locks.rows };
  } finally {
    await db.end();
  }
}

async function t0Count(db: pg.Client, runIds: string[]): Promise<number> {
  const r = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM fault_journal WHERE run_id = ANY($1) AND kind = 'fault' AND t0 IS NOT NULL`,
    [runIds],
  );
  return Number(r.rows[0]!.n);
}

/**
 * Which worker folders hold each step file of each run (own folders only): a run whose ledger was
 * written in one folder and stopped or read back in another shows here.
 */
function evidenceSpread(workers: BenchWorker[], runIds: string[]) {
  const perRun: Record<string, Record<string, string[]>> = {};
  for (const runId of runIds) {
    const files: Record<string, string[]> = {};
    for (const f of STEP_FILES)
      files[f] = workers.filter((w) => existsSync(join(w.runs, runId, f))).map((w) => w.name);
    perRun[runId] = files;
  }
  const runs = Object.values(perRun);
  const ledgerWithoutStop = (f: Record<string, string[]>) =>
    f['ledger.jsonl']!.some((w) => !f['ledger.stop']!.includes(w));
  return {
    perRun,
    summary: {
      ledgerInMoreThanOneFolder: runs.filter((f) => f['ledger.jsonl']!.length > 1).length,
      ledgerStopNotBesideEveryLedger: runs.filter(ledgerWithoutStop).length,
      verifiedWhereNoLedger: runs.filter((f) =>
        f['verify.json']!.some((w) => !f['ledger.jsonl']!.includes(w)),
      ).length,
      stepsOnMoreThanOneWorker: runs.filter((f) => new Set(Object.values(f).flat()).size > 1).length,
    },
  };
}

const TIMEOUT_TYPES: Record<number, string> = {
  1: 'start-to-close',
  2: 'schedule-to-start',
  3: 'schedule-to-close',
  4: 'heartbeat',
};

/**
 * What the worker's death cost, from the workflows' own histories: activities that took more than
 * one attempt, by activity and by why the last failed attempt ended (Temporal retries on the server
 * and records only the attempt that finished, with the previous one's failure). A step with
 * heartbeats is retried within its heartbeat timeout; one without waits out its start-to-close.
 */
async function activityRetries(handles: WorkflowHandle[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const h of handles) {
    const events = (await h.fetchHistory().catch(() => undefined))?.events ?? [];
    const names = new Map<string, string>();
    for (const e of events) {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      if (name) names.set(String(e.eventId), name);
      const started = e.activityTaskStartedEventAttributes;
      if (!started || (started.attempt ?? 1) <= 1) continue;
      const last = started.lastFailure;
      const timeout = last?.timeoutFailureInfo?.timeoutType;
      const why = timeout ? `${TIMEOUT_TYPES[Number(timeout)] ?? 'other'} timeout` : 'failed';
      const key = `${names.get(String(started.scheduledEventId)) ?? '?'} after ${why}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
}

async function main(): Promise<void> {
  ensureInstalled();
  const benchDir = join(reportsDir(), `bench-concurrency-${new Date().toISOString().replace(/[-:.]/g, '')}`);
  mkdirSync(benchDir, { recursive: true });
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    loadAvgAtStart: loadavg().map((l) => +l.toFixed(2)),
  };

  const workers: BenchWorker[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const name = `w${i + 1}`;
    const runs = RUN_FOLDERS === 'own' ? join(benchDir, name, 'runs') : join(benchDir, 'runs');
    mkdirSync(runs, { recursive: true });
    mkdirSync(join(benchDir, name), { recursive: true });
    workers.push({
      name,
      runs,
      log: join(benchDir, name, 'worker.log'),
      port: await freePort(),
      incarnations: [],
    });
  }
  let sampler: NodeJS.Timeout | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = stopping = true;
    // Clients still talking to the servers being stopped may throw from their own timers: the
    // cleanup carries on (workers and sandbox must go whatever they say).
    process.on('uncaughtException', (err) => say(`during cleanup: ${err.message}`));
    clearInterval(sampler);
    for (const w of workers) signalWorker(w, 'SIGTERM');
    await sleep(2_000);
    for (const w of workers) signalWorker(w, 'SIGKILL');
    // The client connection is left to the process's exit: closing it under result() calls still
    // polling (an interrupt, a drill left unfinished) throws from inside the gRPC retry timer.
    if (Sandbox.exists({ name: SANDBOX })) await Sandbox.open({ name: SANDBOX }).down();
    say(`sandbox "${SANDBOX}" down; workers stopped`);
  };
  process.once('SIGINT', () => {
    say('interrupted: stopping the workers and the sandbox');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    if (Sandbox.exists({ name: SANDBOX })) {
      say(`sandbox "${SANDBOX}" exists: taking it down first`);
      await Sandbox.open({ name: SANDBOX }).down();
    }
    const sandbox = await Sandbox.up({
      name: SANDBOX,
      only: ['results', 'temporal', 'calibration'],
      deleteHistory: true,
      log: (m) => say(`[sandbox] ${m}`),
    });
    const dbUrl = resultsUrl(sandbox.component('results'));
    const target = new CalibrationClient(sandbox.endpoints().calibration!.url!);

    for (const w of workers) startWorker(w);
    await Promise.all(workers.map(workerReady));
    say(
      `${WORKERS} workers up (${ACTIVITY_SLOTS} activity slots each), ${RUN_FOLDERS} run folders under ${benchDir}`,
    );
    const cpu = new CpuTracker();
    for (const w of workers) cpu.track(w.child!.pid!, w.name);
    for (const c of ['calibration', 'temporal', 'results'] as const)
      for (const m of sandbox.component(c).members)
        for (const pid of Object.values(m.pids))
          cpu.track(pid, c === 'results' ? 'postgres (results, journal)' : c);
    cpu.track(process.pid, 'bench client');
    cpu.sample();
    let tick = 0;
    sampler = setInterval(() => {
      for (const w of workers) {
        const inc = w.incarnations.at(-1);
        if (!inc || inc.stoppedAt) continue;
        inc.peakRssMb = Math.max(inc.peakRssMb, Math.round(rssMb(inc.pid) ?? 0));
      }
      if (tick++ % 2 === 0) cpu.sample();
    }, 500);

    const connection = await Connection.connect({ address: sandbox.endpoints().temporal!.address! });
    const client = new Client({ connection });
    const drill = await getDrill('calibration');
    const topology = loadTopology();
    const inputs = Array.from({ length: DRILLS }, (_, i) => {
      const instance = `c${i + 1}`;
      const plan = planRun(
        drill,
        {
          drill: 'calibration',
          variant: 'outage',
          options: { instance, outage: `${OUTAGE_MS}ms`, 'writes-before': WRITES_BEFORE },
        },
        topology,
      );
      const input: DrillInput = {
        runId: newRunId(plan.drill, plan.variant),
        drill: plan.drill,
        variant: plan.variant,
        options: plan.options,
        platform: { kind: 'local', sandbox: SANDBOX },
        reportsDir: join(benchDir, 'runs'), // each worker writes to its own folder instead
      };
      return { instance, plan, input };
    });
    const runIds = inputs.map((d) => d.input.runId);

    say(`starting ${DRILLS} calibration drills (outage ${OUTAGE_MS} ms, writes-before ${WRITES_BEFORE})`);
    const wallStart = Date.now();
    const handles: WorkflowHandle[] = await Promise.all(
      inputs.map((d) => startDrill(client, d.input, d.plan.target)),
    );
    const outcomes: DrillOutcome[] = inputs.map((d, i) => ({
      instance: d.instance,
      runId: d.input.runId,
      workflowId: handles[i]!.workflowId,
    }));
    const settled = Promise.all(
      handles.map((h, i) =>
        h.result().then(
          (result) => {
            outcomes[i]!.result = result as DrillResult;
            outcomes[i]!.settledAt = Date.now();
          },
          (err: Error) => {
            outcomes[i]!.error = (err.cause as Error | undefined)?.message ?? err.message;
            outcomes[i]!.settledAt = Date.now();
          },
        ),
      ),
    );
    const done = () => outcomes.filter((o) => o.settledAt !== undefined).length;

    // Kill one worker once half the drills have passed T0 (by the journal), restart it shortly after.
    const watchDb = new pg.Client({ connectionString: dbUrl });
    watchDb.on('error', () => {}); // an interrupt takes the server down under it
    await watchDb.connect();
    const kill: Record<string, unknown> = {};
    try {
      for (;;) {
        const fired = await t0Count(watchDb, runIds);
        if (fired >= DRILLS / 2) {
          const w = workers[KILLED_WORKER]!;
          const rssRaw = rssMb(w.child!.pid!);
          const rss = rssRaw === undefined ? undefined : Math.round(rssRaw);
          signalWorker(w, 'SIGKILL');
          Object.assign(kill, {
            worker: w.name,
            pid: w.child!.pid,
            atMs: Date.now() - wallStart,
            drillsPastT0: fired,
            drillsSettled: done(),
            rssAtKillMb: rss,
          });
          say(
            `SIGKILL ${w.name} (pid ${w.child!.pid}) at +${kill.atMs} ms: ${fired} drills past T0, ${done()} settled`,
          );
          await sleep(RESTART_AFTER_MS);
          startWorker(w);
          cpu.track(w.child!.pid!, `${w.name} (restarted)`);
          await workerReady(w);
          kill.restartedAtMs = Date.now() - wallStart;
          kill.restartedPid = w.child!.pid;
          say(`${w.name} restarted (pid ${w.child!.pid}) at +${kill.restartedAtMs} ms`);
          break;
        }
        if (done() === DRILLS) {
          say(`every drill settled before half passed T0 (${fired} did): no worker was killed`);
          break;
        }
        await sleep(250);
      }
    } finally {
      await watchDb.end();
    }

    let last = -1;
    const progress = setInterval(() => {
      if (done() !== last)
        say(
          `${(last = done())}/${DRILLS} drills settled (+${Math.round((Date.now() - wallStart) / 1000)} s)`,
        );
    }, 5_000);
    const timedOut = await Promise.race([
      settled.then(() => false),
      sleep(RESULTS_TIMEOUT_MS).then(() => true),
    ]);
    clearInterval(progress);
    const wallMs = timedOut ? RESULTS_TIMEOUT_MS : Math.max(...outcomes.map((o) => o.settledAt!)) - wallStart;

    // Drills still running: where they are (their own progress), then aborted so their faults
    // are reverted before the sandbox goes down. They count as unfinished.
    const stuck: Record<string, unknown>[] = [];
    cpu.sample();
    const cpuSeconds = cpu.totals();
    let faultedAtTimeout: string[] | undefined;
    if (timedOut) {
      // Before the abort reverts them: which instances the unfinished drills still hold in a fault.
      faultedAtTimeout = (await target.allCounts()).filter((c) => c.faulted).map((c) => c.instance);
      for (const [i, o] of outcomes.entries()) {
        if (o.settledAt !== undefined) continue;
        const p = await handles[i]!.query(progressQuery).catch((err: Error) => ({ error: err.message }));
        stuck.push({ runId: o.runId, instance: o.instance, progress: p });
        await handles[i]!.signal(abortSignal, 'bench: results timeout').catch(() => {});
      }
      const phases: Record<string, number> = {};
      for (const x of stuck) {
        const phase = (x.progress as { phase?: string }).phase ?? 'unknown';
        phases[phase] = (phases[phase] ?? 0) + 1;
      }
      say(
        `${stuck.length} drills had not finished after ${RESULTS_TIMEOUT_MS / 1000} s (by phase: ${JSON.stringify(phases)}): aborted`,
      );
      await Promise.race([settled, sleep(120_000)]);
    }

    // Unfinished drills are counted as such even if the abort settled them since.
    for (const x of stuck) outcomes.find((o) => o.runId === x.runId)!.unfinished = true;
    const retries = await activityRetries(handles);
    const settleS = outcomes
      .filter((o) => o.settledAt !== undefined && !o.unfinished)
      .map((o) => ({ runId: o.runId, s: +((o.settledAt! - wallStart) / 1000).toFixed(1) }))
      .sort((a, b) => a.s - b.s);
    const counts = await target.allCounts();
    const { rows, locks } = await journalOf(dbUrl, runIds);
    const figures = concurrencyFigures(outcomes, counts, rows, locks, OUTAGE_MS);
    const spread = RUN_FOLDERS === 'own' ? evidenceSpread(workers, runIds) : undefined;

    const workerRss = workers.flatMap((w) =>
      w.incarnations.map((inc, n) => ({
        worker: n ? `${w.name} (restarted)` : w.name,
        pid: inc.pid,
        peakRssMb: inc.peakRssMb,
        killed: inc.killed ?? false,
      })),
    );
    const report = {
      generatedAt: new Date().toISOString(),
      sandbox: SANDBOX,
      machine,
      settings: {
        drills: DRILLS,
        workers: WORKERS,
        variant: 'outage',
        outageMs: OUTAGE_MS,
        writesBefore: WRITES_BEFORE,
        activitySlotsPerWorker: ACTIVITY_SLOTS,
        restartAfterMs: RESTART_AFTER_MS,
        runFolders:
          RUN_FOLDERS === 'own'
            ? 'one per worker (FIREDRILL_WORKER_RUNS), as on separate machines'
            : 'one shared by the three workers (FIREDRILL_WORKER_RUNS), as on one machine',
      },
      kill,
      wallSeconds: +(wallMs / 1000).toFixed(1),
      loadAvgAtEnd: loadavg().map((l) => +l.toFixed(2)),
      ...figures,
      workerRss,
      failures: outcomes
        .filter((o) => !o.result)
        .map((o) => ({ runId: o.runId, instance: o.instance, error: o.error ?? 'unfinished' })),
      nonMet: outcomes
        .filter((o) => o.result && o.result.verdict !== 'MET')
        .map((o) => ({
          runId: o.runId,
          instance: o.instance,
          verdict: o.result!.verdict,
          reason: o.result!.reason,
        })),
      stuck,
      faultedAtTimeout,
      cpuSeconds,
      activityRetries: retries,
      settledAfterSeconds: {
        median: settleS[Math.floor(settleS.length / 2)]?.s ?? null,
        last: settleS.slice(-3),
      },
      evidenceSpread: spread,
      evidence: benchDir,
    };
    const out = join(ROOT, 'bench', 'concurrency.json');
    writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
    printReport(report, figures, workerRss);
    console.log(
      `CPU seconds while the drills ran (${cpuSeconds.machineSeconds} s on every core, ${((cpuSeconds.machineSeconds / (wallMs / 1000)) * 100).toFixed(0)} % of one core): ${JSON.stringify(cpuSeconds.byGroup)}`,
    );
    console.log(`activities retried: ${JSON.stringify(retries)}`);
    console.log(
      `drills settled after (s from the start): median ${report.settledAfterSeconds.median}, last ${settleS
        .slice(-3)
        .map((x) => `${x.runId} ${x.s}`)
        .join(', ')}`,
    );
    if (faultedAtTimeout)
      console.log(`instances still in a fault when the bench stopped waiting: ${faultedAtTimeout.length}`);
    if (spread) {
      console.log(`evidence of a run across worker folders: ${JSON.stringify(spread.summary)}`);
      // Recorded from one folder's canaries while another worker's watch took the others: the RTO
      // is then read from a partial record (its canary gap looks small, the error is not).
      const split = figures.rtoError.largest.filter(
        (l) => spread.perRun[l.runId]!['canary.jsonl']!.length > 1,
      );
      if (split.length)
        console.log(
          `  of the largest RTO errors, ${split.length} are runs whose canaries are split across worker folders: ${split.map((l) => `${l.runId} ${spread.perRun[l.runId]!['canary.jsonl']!.join('+')}`).join(', ')}`,
        );
    }
    const clean =
      figures.finished === DRILLS &&
      figures.byVerdict.MET === DRILLS &&
      !figures.doubleInjections.count &&
      !figures.faultsLeft.count &&
      !figures.revertsPerFault.notExactlyOne.length;
    // A clean run's evidence is not needed (and a run folder per drill per worker adds up).
    if (clean) for (const w of workers) rmSync(w.runs, { recursive: true, force: true });
    console.log(
      `written: ${out}; worker logs${clean ? '' : ' and run folders (kept: not every drill was MET and clean)'}: ${benchDir}`,
    );
  } finally {
    await cleanup();
  }
}

function printReport(
  report: { wallSeconds: number; kill: Record<string, unknown> },
  f: ReturnType<typeof concurrencyFigures>,
  rss: { worker: string; peakRssMb: number; killed: boolean }[],
): void {
  const must = (label: string, n: number, detail: string) =>
    console.log(`${label.padEnd(28)} ${String(n).padStart(5)}${n ? `   <-- MUST BE 0: ${detail}` : ''}`);
  console.log('');
  console.log(`drills                       ${f.drills} started, ${f.finished} finished with a result`);
  console.log(`  by verdict                 ${JSON.stringify(f.byVerdict)}`);
  if (Object.keys(f.failed).length) console.log(`  failed (no result)         ${JSON.stringify(f.failed)}`);
  if (f.unfinished.length) console.log(`  unfinished                 ${f.unfinished.length}`);
  must(
    'double injections',
    f.doubleInjections.count,
    f.doubleInjections.instances.map((d) => `${d.instance} took ${d.faultCommands}`).join(', '),
  );
  must(
    'faults left',
    f.faultsLeft.count,
    [
      ...f.faultsLeft.journalRows.map((r) => `${r.runId}/${r.entry} ${r.state}`),
      ...f.faultsLeft.instancesFaulted.map((i) => `${i} still faulted`),
    ].join(', '),
  );
  if (f.faultsLeft.plannedNeverFired.length)
    console.log(`  journal rows still planned (never fired): ${f.faultsLeft.plannedNeverFired.length}`);
  const wrong = f.revertsPerFault.notExactlyOne;
  console.log(
    `reverts per fault            ${JSON.stringify(f.revertsPerFault.distribution)} (effective resets → instances, over ${f.revertsPerFault.faulted} faulted; ${f.revertsPerFault.idleResets} idle resets)${wrong.length ? `   <-- MUST BE EXACTLY 1: ${wrong.map((w) => `${w.instance}=${w.effectiveResets}`).join(', ')}` : ''}`,
  );
  if (f.journalWithoutTargetFault.length)
    console.log(`  journaled as fired, target took nothing: ${f.journalWithoutTargetFault.join(', ')}`);
  if (f.markersBeforeT0.length)
    console.log(
      `  runs whose timeline has T_detect/T_service before T0: ${f.markersBeforeT0.length} (up to ${Math.max(...f.markersBeforeT0.flatMap((r) => r.markers.map((m) => m.msBeforeT0)))} ms before)`,
    );
  if (f.locksStillHeld.length)
    console.log(`  target locks still held: ${f.locksStillHeld.map((l) => l.target).join(', ')}`);
  const e = f.rtoError;
  console.log(
    `worst |RTO − outage|         ${e.worstMs ?? 'n/a'} ms over ${e.runs} MET runs (median ${e.medianMs ?? 'n/a'}, p95 ${e.p95Ms ?? 'n/a'}; worst ${e.worstRunId ?? '-'})`,
  );
  console.log(
    `  without the ${e.interruptedRuns} runs whose watch died with its worker (a canary gap > 1 s): worst ${e.worstUninterruptedMs ?? 'n/a'} ms`,
  );
  for (const l of e.largest)
    console.log(
      `  ${l.runId}: ${l.errorMs} ms (largest canary gap ${l.resolutionMs} ms, latency bound ${l.latencyBoundMs} ms)`,
    );
  console.log(`wall time                    ${report.wallSeconds} s`);
  console.log(`worker killed                ${JSON.stringify(report.kill)}`);
  for (const w of rss)
    console.log(
      `peak RSS ${w.worker.padEnd(20)}${String(w.peakRssMb).padStart(5)} MB${w.killed ? ' (SIGKILLed)' : ''}`,
    );
}

await main();
process.exit(0); // result() polls of unfinished drills would keep the process alive
