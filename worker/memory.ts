// The worker's memory budget: 300 MB RSS on a 2-core node.
//
// Why: V8 lets the old generation grow to up to 4× the live heap before a full collection when
// collecting is cheap, and gives each isolate a young generation of up to 2 × 16 MB. A worker's
// live heap is ~55 MB, but a drill allocates fast (a ledger writer at 1,000+ records/s, canaries
// every 50 ms, a read-back of every record), so the heap reached ~230 MB of mostly garbage and RSS
// 430 MB — no leak (a forced GC leaves ~55 MB), just collected late. A fixed growth factor and a
// smaller young generation collect sooner, at the cost of more (incremental, concurrent) work.
// Outside V8, glibc gives each thread that mallocs its own arena (up to 8 per core): the native
// threads (Temporal's core, libuv's pool, V8's helpers) left tens of MB of partly used arenas
// (game-day peaks 281–304 MB with 2 arenas, 329–334 MB with 8 or glibc's default).

/** Old generation may grow by this % of the live heap between full collections (V8: up to 300). */
export const HEAP_GROWING_PERCENT = 25;
/** MB per semi-space of the young generation (V8's default here: 16; each isolate has its own). */
export const MAX_SEMI_SPACE_MB = 4;

/**
 * Node flags for a worker process: `node ${WORKER_NODE_FLAGS} --import tsx worker/main.ts`. The
 * young generation is sized when the isolate starts, so it must be on the command line; `npm run
 * worker` and deploy/runner/worker.yaml carry the same flags and WORKER_ENV (a unit test checks).
 */
export const WORKER_NODE_FLAGS = [
  `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
  `--max-semi-space-size=${MAX_SEMI_SPACE_MB}`,
];

/** Environment for a worker process: glibc's malloc arenas, read when the process starts. */
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/** What a running worker lacks of its memory settings (empty when it was started with them). */
export function missingMemorySettings(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return [
    ...WORKER_NODE_FLAGS.filter((f) => !execArgv.includes(f)),
    ...Object.entries(WORKER_ENV)
      .filter(([k, v]) => env[k] !== v)
      .map(([k, v]) => `${k}=${v}`),
  ];
}
