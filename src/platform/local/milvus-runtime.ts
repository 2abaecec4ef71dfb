// Milvus's server as the PyPI package "milvus" (embedded Milvus) ships it: the real `milvus` binary
// and its libraries xz-compressed, plus a milvus.yaml template. Install-time work: finding the
// package and unpacking the server once for every sandbox.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface MilvusPackage {
  /** site-packages/milvus: data/config.yaml.template, data/glog.conf, data/bin/*.lzma */
  dir: string;
  version: string;
}

export function milvusPackage(python: string): MilvusPackage {
  const out = spawnSync(
    python,
    ['-c', 'import milvus, os; print(os.path.dirname(milvus.__file__)); print(milvus.__version__)'],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (out.status !== 0) throw new Error(`cannot import the milvus package with ${python}:\n${out.stderr}`);
  const [dir, version] = out.stdout.trim().split('\n');
  return { dir: dir!, version: version! };
}

/**
 * The unpacked server (binary + bundled libraries), shared by every sandbox: 250 MB and ~4 s of xz
 * per unpack. Unpacked by the package's own routine into a scratch directory, then renamed into
 * place, so sandboxes starting at the same time never see a half-written binary.
 */
export function milvusRuntime(python: string, pkg: MilvusPackage): string {
  const root = join(dirname(dirname(python)), 'runtime');
  const stamp = join(root, 'bin', '.unpacked');
  const ready = () => existsSync(stamp) && readFileSync(stamp, 'utf8') === pkg.version;
  if (ready()) return join(root, 'bin');
  const scratch = `${root}.tmp-${process.pid}-${Date.now()}`;
  try {
    const out = spawnSync(
      python,
      ['-c', 'import sys, milvus; milvus._initialize_data_files(sys.argv[1])', scratch],
      { encoding: 'utf8', timeout: 300_000 },
    );
    if (out.status !== 0) throw new Error(`unpacking the milvus server failed:\n${out.stderr}`);
    writeFileSync(join(scratch, 'bin', '.unpacked'), pkg.version);
    if (ready()) return join(root, 'bin'); // another sandbox finished first
    // An unpack of another version, or one that was cut short: move it aside, then swap ours in.
    if (existsSync(root)) {
      const stale = `${root}.stale-${process.pid}-${Date.now()}`;
      renameSync(root, stale);
      rmSync(stale, { recursive: true, force: true });
    }
    try {
      renameSync(scratch, root);
    } catch (err) {
      if (!ready()) throw err; // lost a race to a complete unpack: use that one
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return join(root, 'bin');
}
