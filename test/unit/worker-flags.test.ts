// The worker's memory flags are on the command line (the young generation is sized at start), so
// every launcher must carry the same ones: the npm script and the Kubernetes Deployment.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { missingMemorySettings, WORKER_ENV, WORKER_NODE_FLAGS } from '../../worker/memory.ts';

interface EnvVar {
  name: string;
  value: string;
}

const root = new URL('../../', import.meta.url);

describe('worker memory flags', () => {
  it('are V8 flags this Node accepts', () => {
    expect(WORKER_NODE_FLAGS.length).toBeGreaterThan(0);
    const r = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, '-e', ''], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('npm run worker passes them', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const env = Object.entries(WORKER_ENV).map(([k, v]) => `${k}=${v}`);
    expect(pkg.scripts.worker).toBe(
      `${env.join(' ')} node ${WORKER_NODE_FLAGS.join(' ')} --import tsx worker/main.ts`,
    );
  });

  it('the worker Deployment passes them', () => {
    const docs = parseAllDocuments(readFileSync(new URL('deploy/runner/worker.yaml', root), 'utf8')).map(
      (d) =>
        d.toJS() as {
          kind?: string;
          spec?: { template: { spec: { containers: { command: string[]; env: EnvVar[] }[] } } };
        },
    );
    const deployment = docs.find((d) => d.kind === 'Deployment');
    const container = deployment!.spec!.template.spec.containers[0]!;
    for (const [name, value] of Object.entries(WORKER_ENV))
      expect(container.env.find((e) => e.name === name)?.value, name).toBe(value);
    expect(container.command).toEqual(['node', ...WORKER_NODE_FLAGS, '--import', 'tsx', 'worker/main.ts']);
  });

  it('a worker started without them is told what it lacks', () => {
    expect(missingMemorySettings(WORKER_NODE_FLAGS, { ...WORKER_ENV })).toEqual([]);
    expect(missingMemorySettings(['--import', 'tsx'], {})).toEqual([
      ...WORKER_NODE_FLAGS,
      ...Object.entries(WORKER_ENV).map(([k, v]) => `${k}=${v}`),
    ]);
  });
});
