// `npm run mutants`: plants, one at a time, the one-line bugs the measurement glue must never
// survive (issue: "RTO that stays true…", plus the rules added with it), runs the unit tier
// against each, and prints which tests killed it. A figure-printing script, not a test: it edits
// source files in place and always puts them back (even on Ctrl-C).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Mutant {
  name: string;
  file: string;
  from: string;
  to: string;
}

const MUTANTS: Mutant[] = [
  { name: 'K 5 → 4', file: 'src/drill/validate.ts', from: 'consecutiveOk ?? 5', to: 'consecutiveOk ?? 4' },
  {
    name: 'interval 50 → 500 ms',
    file: 'src/drill/validate.ts',
    from: 'intervalMs ?? 50',
    to: 'intervalMs ?? 500',
  },
  {
    name: 'deadline cap min → max',
    file: 'src/drill/validate.ts',
    from: 'Math.min(2 * targets.rtoMs, MAX_DEADLINE_MS)',
    to: 'Math.max(2 * targets.rtoMs, MAX_DEADLINE_MS)',
  },
  {
    name: 'exactlyOnce ignored',
    file: 'src/drill/validate.ts',
    from: 'exactlyOnce: d.ledger?.exactlyOnce ?? false',
    to: 'exactlyOnce: false',
  },
  {
    name: 'unconfirmed-injection check removed',
    file: 'src/engine/record.ts',
    from: '(injected ? unconfirmedInjectionReason(markers, recovery.detectAt) : undefined) ??',
    to: 'undefined ??',
  },
  {
    name: 'error after injection no longer INCONCLUSIVE',
    file: 'src/engine/record.ts',
    from: '(injected && outcome.errorReason',
    to: '(false && outcome.errorReason',
  },
  {
    name: 'fault confirmation ignored',
    file: 'src/engine/record.ts',
    from: 'faultConfirmed: markers.some((m) => m.marker === FAULT_CONFIRMED)',
    to: 'faultConfirmed: true',
  },
  {
    name: 'latency bound ignored in the record',
    file: 'src/engine/record.ts',
    from: 'latencyBoundMs: latencyBoundMs ?? undefined',
    to: 'latencyBoundMs: undefined',
  },
  {
    name: 'success credited at its start',
    file: 'src/measure/recovery.ts',
    from: 'serviceAt = after[i - k + 1]!.end',
    to: 'serviceAt = after[i - k + 1]!.at',
  },
  {
    name: 'failure in flight across T0 ignored',
    file: 'src/measure/recovery.ts',
    from: 'const after = sorted.filter((s) => s.end > t0);',
    to: 'const after = sorted.filter((s) => s.at >= t0);',
  },
  {
    name: 'canaries sequential (closed loop)',
    file: 'src/engine/watch.ts',
    from: 'if (pending.size < limit) launch();',
    to: 'if (pending.size < 1) launch();',
  },
  {
    name: 'short deadline judged as a breach',
    file: 'src/measure/verdict.ts',
    from: 'if (input.deadlineMs < targets.rtoMs)',
    to: 'if (false)',
  },
  {
    name: 'non-prefix loss only breaches beside another miss',
    file: 'src/measure/verdict.ts',
    from: 'if (ledger.nonPrefix)\n',
    to: 'if (ledger.nonPrefix && misses.length)\n',
  },
  {
    name: 'no canary after T0 scored',
    file: 'src/measure/verdict.ts',
    from: 'if (input.samplesAfterT0 === 0)',
    to: 'if (false)',
  },
];

const restore = new Map<string, string>();
const putBack = () => {
  for (const [file, text] of restore) writeFileSync(file, text);
  restore.clear();
};
process.once('SIGINT', () => {
  putBack();
  process.exit(130);
});

function failingTests(): string[] {
  const out = join(tmpdir(), `firedrill-mutants-${process.pid}.json`);
  try {
    execFileSync('npx', ['vitest', 'run', '--project', 'unit', '--reporter=json', `--outputFile=${out}`], {
      stdio: 'ignore',
    });
  } catch {
    /* failing tests exit non-zero: that is the point */
  }
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
  };
  rmSync(out, { force: true });
  return report.testResults.flatMap((f) =>
    f.assertionResults
      .filter((a) => a.status === 'failed')
      .map((a) => `${f.name.replace(/^.*\/test\//, 'test/')}: ${a.fullName}`),
  );
}

const only = process.argv[2];
const chosen = MUTANTS.filter((x) => !only || x.name.includes(only));
let survived = 0;
try {
  for (const m of chosen) {
    const text = readFileSync(m.file, 'utf8');
    const count = text.split(m.from).length - 1;
    if (count !== 1) throw new Error(`mutant "${m.name}": "${m.from}" occurs ${count} times in ${m.file}`);
    restore.set(m.file, text);
    writeFileSync(m.file, text.replace(m.from, m.to));
    const killedBy = failingTests();
    putBack();
    if (!killedBy.length) survived++;
    console.log(`${killedBy.length ? 'killed  ' : 'SURVIVED'} ${m.name} (${m.file})`);
    for (const t of killedBy.slice(0, 6)) console.log(`           ${t}`);
    if (killedBy.length > 6) console.log(`           … and ${killedBy.length - 6} more`);
  }
} finally {
  putBack();
}
console.log(`mutants: ${chosen.length - survived} of ${chosen.length} killed`);
process.exitCode = survived ? 1 : 0;
