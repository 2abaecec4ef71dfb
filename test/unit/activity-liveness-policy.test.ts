// Every activity step a workflow schedules must let a dead worker be noticed within a minute: a
// step without a heartbeat timeout is only retried after its whole start-to-close bound, which is
// minutes of a drill standing still (and its target held) after a worker dies. This reads the
// workflows' activity options as written, so a new proxy without a heartbeat fails here.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const WORKFLOWS = join(import.meta.dirname, '../../workflows');
/** Steps allowed to go without a heartbeat: each is bounded by a short start-to-close timeout. */
const SHORT_ENOUGH_MS = 60_000;
const HEARTBEAT_AT_MOST_MS = 60_000;

interface ProxyOptions {
  file: string;
  at: number;
  startToClose?: string;
  heartbeat?: string;
}

export function activityProxies(source: string, file: string): ProxyOptions[] {
  const found: ProxyOptions[] = [];
  const start = /proxyActivities<\w+>\(\{/g;
  for (let m = start.exec(source); m; m = start.exec(source)) {
    const body = source.slice(m.index, source.indexOf('})', m.index));
    const option = (name: string) =>
      new RegExp(`${name}:\\s*(?:'([^']+)'|([\\w.+ ]+))`).exec(body)?.slice(1).find(Boolean);
    found.push({
      file,
      at: source.slice(0, m.index).split('\n').length,
      startToClose: option('startToCloseTimeout'),
      heartbeat: option('heartbeatTimeout'),
    });
  }
  return found;
}

/** Temporal's duration strings as the workflows write them ('15 seconds', '2 minutes', '3 hours'). */
function temporalDurationMs(v: string): number | null {
  const m = /^(\d+)\s*(second|minute|hour)s?$/.exec(v.trim());
  if (!m) return null; // computed (e.g. `timeoutMs + 120_000`): not known from the source
  return Number(m[1]) * { second: 1_000, minute: 60_000, hour: 3_600_000 }[m[2] as 'second'];
}

/** The rule: a heartbeat timeout of at most a minute, or a start-to-close bound of at most one. */
export function livenessProblem(p: ProxyOptions): string | null {
  const ms = (v: string | undefined) => (v ? temporalDurationMs(v) : null);
  const hb = ms(p.heartbeat);
  if (hb !== null)
    return hb <= HEARTBEAT_AT_MOST_MS ? null : `heartbeatTimeout ${p.heartbeat} is over a minute`;
  const stc = ms(p.startToClose);
  if (stc !== null && stc <= SHORT_ENOUGH_MS) return null;
  return `no heartbeatTimeout and startToCloseTimeout ${p.startToClose ?? '(computed)'}: a dead worker is noticed only after that`;
}

describe('activity liveness policy', () => {
  const proxies = readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => activityProxies(readFileSync(join(WORKFLOWS, f), 'utf8'), f));

  it('finds the workflows’ activity proxies', () => {
    expect(proxies.length).toBeGreaterThanOrEqual(8);
  });

  it('every proxy notices a dead worker within a minute', () => {
    const problems = proxies.flatMap((p) => {
      const problem = livenessProblem(p);
      return problem ? [`${p.file}:${p.at}: ${problem}`] : [];
    });
    expect(problems).toEqual([]);
  });

  it('the rule refuses a long step without a heartbeat', () => {
    const [p] = activityProxies(
      "const quick = proxyActivities<A>({\n  startToCloseTimeout: '2 minutes',\n  retry: {},\n});",
      'planted.ts',
    );
    expect(livenessProblem(p!)).toMatch(/no heartbeatTimeout/);
    const [q] = activityProxies(
      "const q = proxyActivities<A>({ startToCloseTimeout: '2 minutes', heartbeatTimeout: '15 seconds' })",
      'ok.ts',
    );
    expect(livenessProblem(q!)).toBeNull();
  });
});
