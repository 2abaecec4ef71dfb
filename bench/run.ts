// `npm run bench`: firedrill's own figures on this machine, beside the targets of issue 6.
// Figures, not assertions (the exit code is 0 whatever they are); writes bench/results.json.
//
//   1. sandbox warm boot    Sandbox.up of every component (servers already installed), later down
//   2. ledger throughput    each drill's real write() through the engine's ledger writer, maxRate 0
//   3. RTO resolution       calibration drills with outages of D ms: max |RTO(service) − D|
//   4. runner overhead      one game day of the whole catalogue; see OVERHEAD_DEFINITION
//   5. worker RSS           of the worker process (worker/main.ts), sampled while drills run
//
// Uses its own sandbox (FIREDRILL_BENCH_SANDBOX, default "bench") and its own worker process.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { DrillInput } from '../activities/types.ts';
import { planGameDay } from '../src/gameday/plan.ts';
import { startDrill } from '../src/cli/run.ts';
import { newRunId } from '../src/util/runs.ts';
import { ensureInstalled } from '../src/cli/setup.ts';
import { loadCatalogue } from '../src/drill/catalogue.ts';
import { checkPlatformSupports } from '../src/drill/requirements.ts';
import type { DrillDefinition } from '../src/drill/definition.ts';
import { planRun, type DrillPlan } from '../src/drill/validate.ts';
import { runLedgerWriter } from '../src/engine/ledger-writer.ts';
import { openSession, withDrill } from '../src/engine/session.ts';
import type { DrillResult } from '../src/measure/types.ts';
import { Sandbox } from '../src/platform/local/sandbox.ts';
import { COMPONENTS } from '../src/platform/local/types.ts';
import { loadTopology } from '../src/topology/load.ts';
import { createLogger } from '../src/util/log.ts';
import { sleep, waitFor } from '../src/util/wait.ts';
import { gameDayWorkflow, type GameDayOutcome } from '../workflows/gameday.ts';
import { TASK_QUEUE } from '../workflows/names.ts';
import { spawnWorkerProcess } from '../worker/spawn.ts';
import { freePort, rssMb } from './proc.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SANDBOX = process.env.FIREDRILL_BENCH_SANDBOX ?? 'bench';
const OUTAGES_MS = [250, 1_000, 4_000];
/** The calibration drill's variants: one per failure mode of the measurement spec. */
const MODES = ['outage', 'hang', 'hold', 'slow', 'client-retry'];
// Long enough for the slowest ramp seen: Kafka's producers reach their rate in their third second
// (one-second windows 298, 812, 993, 1,161/s after a 1 s warm-up). The figure is the steady rate.
const WRITE_WARMUP_MS = 3_000;
const WRITE_WINDOWS = 5;
/** Phases during which a drill waits on the system under test (one activity each, sequential). */
const SYSTEM_PHASES = ['preflight', 'steady-state', 'ledger-warmup', 'recover', 'verify', 'compensate'];
const OVERHEAD_DEFINITION =
  'runner overhead = (game-day wall time − time waiting on the systems) ÷ game-day wall time, where the wall time runs from the client starting gameDayWorkflow to its result, and time waiting on the systems is the sum over all drills of the phases that wait on the system under test: preflight (the checks each drill makes of the system: cluster state, sync standby, collection, bucket — its clients opened), steady state (canaries until K in a row pass), ledger warm-up (acknowledged writes before the fault), recover (fault injection through the recovery watch, remediation included), verify (reading every ledger write back) and compensate (reverting the fault). Everything else — planning and validation (definition, options, targets, the topology model), workflow and activity dispatch, child-workflow starts, waiting for the ledger writer to stop, recording to the results database, the game-day summary — is overhead.';

const log = createLogger({ component: 'bench' });
const say = (m: string) => console.error(`bench: ${m}`);

interface Figure {
  key: string;
  label: string;
  value: number | null;
  unit: string;
  target: string;
  ok: boolean | null;
  detail?: string;
}

const figures: Figure[] = [];
const extra: Record<string, unknown> = {};

/** The machine's 1-minute load average when each figure was taken (other work shares the cores). */
const load: Record<string, number> = {};

function figure(f: Figure): void {
  load[f.key] = +loadavg()[0]!.toFixed(2);
  figures.push(f);
  say(`${f.label}: ${f.value === null ? 'n/a' : `${f.value} ${f.unit}`}${f.detail ? ` (${f.detail})` : ''}`);
}

/** Sums of the phase-duration histogram, by phase, from the worker's /metrics. */
async function phaseSums(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^firedrill_drill_phase_duration_seconds_sum\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const phase = /phase="([^"]+)"/.exec(m[1]!)![1]!;
    out[phase] = (out[phase] ?? 0) + Number(m[2]);
  }
  return out;
}

/** Acknowledged writes per second of one drill's real write(), through the engine's ledger writer. */
async function ledgerThroughput(drill: DrillDefinition, plan: DrillPlan, reportsDir: string) {
  const runId = `bench-${drill.name}-${Date.now()}`;
  const input = {
    runId,
    drill: drill.name,
    platform: { kind: 'local' as const, sandbox: SANDBOX },
    reportsDir,
  };
  const session = await openSession(input, plan, log.child({ runId }));
  const file = join(reportsDir, `${runId}.ledger.jsonl`);
  return withDrill(session, async (s) => {
    await session.drill.preflight?.(session.env, s);
    const stop = new AbortController();
    let acked = 0;
    const writing = runLedgerWriter(session.drill, session.env, s, plan, file, {
      signal: stop.signal,
      maxRate: 0,
      onProgress: (st) => (acked = st.acked),
    });
    // After a warm-up (connections, metadata): acknowledgements counted over 1 s windows; the
    // median window is the figure (the cores are shared, single windows are noisy).
    await sleep(WRITE_WARMUP_MS);
    const windows: number[] = [];
    for (let i = 0; i < WRITE_WINDOWS; i++) {
      const at = { t: performance.now(), acked };
      await sleep(1_000);
      windows.push((acked - at.acked) / ((performance.now() - at.t) / 1000));
    }
    stop.abort();
    const final = await writing;
    const sorted = [...windows].sort((a, b) => a - b);
    return { ...final, perSecond: sorted[Math.floor(sorted.length / 2)]!, windows: windows.map(Math.round) };
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  ensureInstalled();
  const reportsDir = mkdtempSync(join(tmpdir(), 'firedrill-bench-'));
  extra.machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGb: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    loadAvgAtStart: loadavg().map((l) => +l.toFixed(2)),
  };
  const catalogue = await loadCatalogue();
  const topology = loadTopology();

  // 1. Warm boot of the whole sandbox.
  if (Sandbox.exists({ name: SANDBOX })) {
    say(`sandbox "${SANDBOX}" exists: taking it down first`);
    await Sandbox.open({ name: SANDBOX }).down();
  }
  say(`booting sandbox "${SANDBOX}" with every component (${COMPONENTS.join(', ')})`);
  const bootStart = performance.now();
  const perComponent: Record<string, number> = {};
  let last = bootStart;
  const sandbox = await Sandbox.up({
    name: SANDBOX,
    only: [...COMPONENTS],
    deleteHistory: true, // every bench run boots (and initialises) the same way, on no earlier runs
    log: (m) => {
      const up = /^(\S+): up in/.exec(m);
      if (up) {
        perComponent[up[1]!] = +((performance.now() - last) / 1000).toFixed(1);
        last = performance.now();
      }
    },
  });
  const bootS = (performance.now() - bootStart) / 1000;
  figure({
    key: 'bootSeconds',
    label: `sandbox warm boot (${COMPONENTS.length} components)`,
    value: +bootS.toFixed(1),
    unit: 's',
    target: '≤ 90 s',
    ok: bootS <= 90,
    detail: Object.entries(perComponent)
      .map(([c, s]) => `${c} ${s}s`)
      .join(', '),
  });

  let worker: ChildProcess | undefined;
  let connection: Connection | undefined;
  try {
    // 2. Ledger throughput per system: through the first drill of each component that can run
    //    here (a drill whose preflight refuses, e.g. a restore with no backup yet, is skipped).
    const tput: Record<string, unknown> = {};
    const runnable: string[] = [];
    const refused: Record<string, string> = {};
    const byComponent = new Map<string, DrillDefinition[]>();
    for (const d of catalogue.values())
      byComponent.set(d.target.component, [...(byComponent.get(d.target.component) ?? []), d]);
    for (const [component, drills] of byComponent) {
      let measured = false;
      for (const drill of drills) {
        const plan = planRun(drill, { drill: drill.name }, topology);
        try {
          // What the platform cannot carry out is refused at planning, as a game day skips it.
          await checkPlatformSupports(drill, { kind: 'local', sandbox: SANDBOX });
          const stats = await ledgerThroughput(drill, plan, reportsDir);
          runnable.push(drill.name);
          if (measured) continue; // one figure per system; the others are still game-day material
          measured = true;
          const perSecond = Math.round(stats.perSecond);
          // Below the target, the same write() with 4× the writers tells the writer's limit from
          // the system's: if more writers do not help, the system (on these 2 cores) is the ceiling.
          const scaledWriters = plan.ledgerConcurrency * 4;
          const scaled =
            perSecond < 1_000
              ? await ledgerThroughput(drill, { ...plan, ledgerConcurrency: scaledWriters }, reportsDir)
              : undefined;
          tput[component] = {
            drill: drill.name,
            concurrency: plan.ledgerConcurrency,
            batch: plan.ledgerBatch,
            ...stats,
            perSecond,
            ...(scaled
              ? {
                  scaled: {
                    concurrency: scaledWriters,
                    perSecond: Math.round(scaled.perSecond),
                    windows: scaled.windows,
                  },
                }
              : {}),
          };
          // Batched: how many calls carried the records (MinIO: segment objects, Milvus: inserts).
          const calls =
            plan.ledgerBatch > 1 && stats.ackedCalls
              ? ` in ${stats.ackedCalls} calls (${(stats.acked / stats.ackedCalls).toFixed(1)} records per call)`
              : '';
          const shape = `${plan.ledgerConcurrency} writer${plan.ledgerConcurrency > 1 ? 's' : ''}${plan.ledgerBatch > 1 ? `, ≤ ${plan.ledgerBatch} records per call` : ''}`;
          figure({
            key: `writesPerSecond.${component}`,
            label: `ledger acked writes/s — ${component} (${drill.name}, ${shape})`,
            value: perSecond,
            unit: '/s',
            target: '≥ 1000/s',
            ok: perSecond >= 1_000,
            detail: `median of ${WRITE_WINDOWS} one-second windows (${stats.windows.join(', ')}); ${stats.acked} acked in all${calls}, ${stats.failed} failed, ${stats.unknown} unknown${scaled ? `; with ${scaledWriters} writers: ${Math.round(scaled.perSecond)}/s (${scaled.windows.join(', ')})` : ''}`,
          });
        } catch (err) {
          refused[drill.name] = (err as Error).message.split('\n')[0]!;
          say(`${drill.name} cannot run here: ${refused[drill.name]}`);
        }
      }
      if (!measured) {
        figure({
          key: `writesPerSecond.${component}`,
          label: `ledger acked writes/s — ${component}`,
          value: null,
          unit: '/s',
          target: '≥ 1000/s',
          ok: null,
          detail: `no drill of ${component} could run: ${drills.map((d) => `${d.name}: ${refused[d.name]}`).join('; ')}`,
        });
      }
    }
    extra.drillsRefused = refused;
    const withDrillComponents = new Set([...catalogue.values()].map((d) => d.target.component));
    const noDrill = COMPONENTS.filter(
      (c) => !['results', 'temporal'].includes(c) && !withDrillComponents.has(c),
    );
    extra.writesPerSecond = tput;
    if (!runnable.length) throw new Error('no drill of the catalogue can run in the bench sandbox');
    extra.componentsWithoutDrill = noDrill;
    if (noDrill.length) say(`no drill (so no ledger writer) yet for: ${noDrill.join(', ')}`);

    // The worker: its own process, as in production, with /metrics for the phase timings.
    const port = await freePort();
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = spawnWorkerProcess({
      FIREDRILL_SANDBOX: SANDBOX,
      FIREDRILL_METRICS_PORT: String(port),
      FIREDRILL_LOG_LEVEL: process.env.FIREDRILL_LOG_LEVEL ?? 'warn',
    });
    const workerPid = worker.pid!;
    await waitFor('the worker to serve /metrics', async () => (await fetch(metricsUrl)).ok, {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    const idleRss = rssMb(workerPid);
    let maxRss = 0;
    let sampling = false;
    // The V8 heap beside it (from the worker's own /metrics), to tell live data from heap growth.
    const heap = { used: 0, total: 0, external: 0 };
    const sampler = setInterval(() => {
      if (sampling) maxRss = Math.max(maxRss, rssMb(workerPid) ?? 0);
    }, 200);
    const heapSampler = setInterval(() => {
      if (!sampling) return;
      void fetch(metricsUrl)
        .then((r) => r.text())
        .then((text) => {
          const mb = (name: string) =>
            Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / 1048576;
          heap.used = Math.max(heap.used, mb('nodejs_heap_size_used_bytes'));
          heap.total = Math.max(heap.total, mb('nodejs_heap_size_total_bytes'));
          heap.external = Math.max(heap.external, mb('nodejs_external_memory_bytes'));
        })
        .catch(() => undefined);
    }, 1_000);

    connection = await Connection.connect({ address: sandbox.endpoints().temporal!.address! });
    const client = new Client({ connection });
    try {
      // 3. RTO resolution against the calibration target.
      sampling = true;
      const rto: {
        variant: string;
        outageMs: number;
        serviceMs: number | null;
        errorMs: number | null;
        resolutionMs: number | null;
        verdict: string;
      }[] = [];
      for (const variant of MODES)
        for (const outage of OUTAGES_MS) {
          const plan = planRun(
            catalogue.get('calibration')!,
            { drill: 'calibration', variant, options: { outage: `${outage}ms` } },
            topology,
          );
          const input: DrillInput = {
            runId: newRunId('calibration', plan.variant),
            drill: 'calibration',
            variant: plan.variant,
            options: { outage: `${outage}ms` },
            platform: { kind: 'local', sandbox: SANDBOX },
            reportsDir,
          };
          const result = (await (await startDrill(client, input, plan.component)).result()) as DrillResult;
          const err = result.rto.serviceMs === null ? null : Math.abs(result.rto.serviceMs - outage);
          rto.push({
            variant,
            outageMs: outage,
            serviceMs: result.rto.serviceMs,
            errorMs: err,
            resolutionMs: result.rto.resolutionMs ?? null,
            verdict: result.verdict,
          });
          say(
            `  calibration ${variant} D=${outage} ms → RTO(service) ${result.rto.serviceMs} ms, resolution ${result.rto.resolutionMs} ms (${result.verdict})`,
          );
        }
      const worst = (rows: typeof rto) => {
        const errors = rows.map((r) => r.errorMs).filter((e): e is number => e !== null);
        return errors.length === rows.length ? Math.max(...errors) : null;
      };
      const maxErr = worst(rto);
      extra.rtoResolution = rto;
      figure({
        key: 'rtoResolutionMs',
        label: `RTO resolution, max |RTO(service) − D| over ${rto.length} outages in ${MODES.length} failure modes`,
        value: maxErr,
        unit: 'ms',
        target: '≤ 100 ms',
        ok: maxErr === null ? false : maxErr <= 100,
        detail: rto.map((r) => `${r.variant} D=${r.outageMs}→${r.serviceMs}`).join(', '),
      });
      for (const variant of MODES) {
        const e = worst(rto.filter((r) => r.variant === variant));
        figure({
          key: `rtoError.${variant}`,
          label: `worst |RTO − D|, failure mode ${variant}`,
          value: e,
          unit: 'ms',
          target: '≤ 50 ms (one interval plus one normal latency)',
          ok: e === null ? false : e <= 50,
          detail: rto
            .filter((r) => r.variant === variant)
            .map((r) => `D=${r.outageMs}→${r.serviceMs} (resolution ${r.resolutionMs})`)
            .join(', '),
        });
      }

      // 4. Runner overhead of a game day of the whole catalogue.
      const { input } = await planGameDay({ sandbox: SANDBOX, drills: runnable.join(',') });
      input.reportsDir = join(reportsDir, input.gameDayId);
      input.runs.forEach((r) => (r.reportsDir = input.reportsDir));
      say(`game day: ${input.runs.map((r) => `${r.drill}/${r.variant}`).join(', ')}`);
      const before = await phaseSums(metricsUrl);
      const t0 = performance.now();
      const outcome = (await (
        await client.workflow.start(gameDayWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: `firedrill-gameday-local-${SANDBOX}`,
          args: [input],
        })
      ).result()) as GameDayOutcome;
      const wallS = (performance.now() - t0) / 1000;
      const afterSums = await phaseSums(metricsUrl);
      sampling = false;
      const phases: Record<string, number> = {};
      for (const [p, v] of Object.entries(afterSums)) phases[p] = +(v - (before[p] ?? 0)).toFixed(3);
      const systemS = SYSTEM_PHASES.reduce((sum, p) => sum + (phases[p] ?? 0), 0);
      const overhead = ((wallS - systemS) / wallS) * 100;
      const verdicts = outcome.results.map((r) =>
        'result' in r
          ? `${r.result.drill}/${r.result.variant} ${r.result.verdict}`
          : `${r.drill} ERROR ${r.error}`,
      );
      extra.gameDay = {
        gameDayId: outcome.gameDayId,
        wallSeconds: +wallS.toFixed(3),
        systemSeconds: +systemS.toFixed(3),
        phaseSeconds: phases,
        verdicts,
        definition: OVERHEAD_DEFINITION,
      };
      figure({
        key: 'runnerOverheadPercent',
        label: 'runner overhead of a game day',
        value: +overhead.toFixed(2),
        unit: '%',
        target: '≤ 2 %',
        ok: overhead <= 2,
        detail: `wall ${wallS.toFixed(1)} s, waiting on systems ${systemS.toFixed(1)} s (preflight ${(phases.preflight ?? 0).toFixed(2)} s of it), overhead ${(wallS - systemS).toFixed(2)} s of which validate ${(phases.validate ?? 0).toFixed(2)} s, record ${(phases.record ?? 0).toFixed(2)} s, dispatch and hand-offs ${(wallS - systemS - (phases.validate ?? 0) - (phases.record ?? 0)).toFixed(2)} s; ${verdicts.join(', ')}${Object.keys(refused).length ? `; not in the game day (refused here): ${Object.keys(refused).join(', ')}` : ''}`,
      });

      // 5. Worker RSS while drills ran.
      figure({
        key: 'workerRssMb',
        label: 'worker RSS, max while drills ran',
        value: Math.round(maxRss),
        unit: 'MB',
        target: '≤ 300 MB',
        ok: maxRss <= 300,
        detail: `idle after start ${Math.round(idleRss ?? 0)} MB; V8 heap at most ${Math.round(heap.used)} MB used of ${Math.round(heap.total)} MB, external ${Math.round(heap.external)} MB`,
      });
    } finally {
      clearInterval(sampler);
      clearInterval(heapSampler);
    }
  } finally {
    if (worker?.pid) {
      try {
        process.kill(-worker.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    await connection?.close();
    const downStart = performance.now();
    await Sandbox.open({ name: SANDBOX }).down();
    extra.downSeconds = +((performance.now() - downStart) / 1000).toFixed(1);
    say(`sandbox "${SANDBOX}" down in ${extra.downSeconds} s`);
    rmSync(reportsDir, { recursive: true, force: true });
  }

  const results = {
    generatedAt: new Date().toISOString(),
    sandbox: SANDBOX,
    benchSeconds: +((Date.now() - started) / 1000).toFixed(1),
    figures,
    ...extra,
    overheadDefinition: OVERHEAD_DEFINITION,
  };
  const out = join(ROOT, 'bench', 'results.json');
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(table(figures));
  console.log('');
  console.log(`definition: ${OVERHEAD_DEFINITION}`);
  console.log(
    `RTO resolution: each outage D is made by the calibration target itself (unavailable for exactly D ms from T0), in each failure mode (refuse, hang, hold, slow, client retry); RTO(service) is T0 to the completion of the first of 5 consecutive successful canaries (within the latency bound), started every 50 ms open loop.`,
  );
  console.log(
    `load: 1-minute load average when each figure was taken, on ${cpus().length} cores: ${Object.entries(load)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} (work outside the bench shares the cores: compare figures at similar load)`,
  );
  console.log(`written: ${out} (${results.benchSeconds} s)`);
}

export function table(rows: Figure[]): string {
  const cells = [
    ['figure', 'value', 'target', 'status'],
    ...rows.map((f) => [
      f.label,
      f.value === null ? 'n/a' : `${f.value.toLocaleString('en-US')} ${f.unit}`,
      f.target,
      f.ok === null ? '' : f.ok ? 'ok' : 'MISSED',
    ]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const lines = cells.map((r) =>
    r
      .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  for (const f of rows) if (f.detail) lines.push(`  ${f.label}: ${f.detail}`);
  return lines.join('\n');
}

await main();
