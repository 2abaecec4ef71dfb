// The workflow bundle, built once per version of the workflow sources and cached. Building it
// inside the worker would leave webpack's ~90 MB in the worker's heap for good, so it is built in
// a short-lived child process (`tsx worker/bundle.ts <out>`) and the worker only loads the code.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '../src/platform/local/toolchain.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORKFLOWS_PATH = join(ROOT, 'workflows', 'index.ts');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Everything a workflow may import at run time, plus the SDK version. */
function sourceHash(): string {
  const h = createHash('sha256');
  for (const file of [
    ...tsFiles(join(ROOT, 'workflows')),
    ...tsFiles(join(ROOT, 'src')),
    ...tsFiles(join(ROOT, 'activities')),
  ].sort()) {
    h.update(file).update(readFileSync(file));
  }
  h.update(readFileSync(join(ROOT, 'node_modules', '@temporalio', 'workflow', 'package.json')));
  return h.digest('hex').slice(0, 16);
}

export function workflowBundle(): { code: string } {
  const file = join(cacheRoot(), 'workflow-bundles', `${sourceHash()}.js`);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), file], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`bundling the workflows failed:\n${r.stdout}${r.stderr}`);
  }
  return { code: readFileSync(file, 'utf8') };
}

// The child: `tsx worker/bundle.ts <out>` writes the bundle atomically.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined });
  const out = process.argv[2];
  writeFileSync(`${out}.tmp`, code);
  renameSync(`${out}.tmp`, out);
}
