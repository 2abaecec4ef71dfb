// `firedrill setup`: runs the installer (deploy/local/install.sh). Other commands call
// ensureInstalled(), which runs it only when something is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { REPO_ROOT } from '../topology/load.ts';
import { toolchain } from '../platform/local/toolchain.ts';
import { UserError } from '../util/errors.ts';

export function runInstaller(quiet = false): void {
  const script = join(REPO_ROOT, 'deploy', 'local', 'install.sh');
  const result = spawnSync('bash', [script, ...(quiet ? ['--quiet'] : [])], { stdio: 'inherit' });
  if (result.status !== 0) throw new UserError('setup failed (see the lines above)', 'fix what it names and run `firedrill setup` again');
}

export function missingPieces(): string[] {
  const t = toolchain();
  const files = [t.temporal, t.minio, t.milvusPython, join(t.kafkaLibs, `kafka_2.13-${t.versions.KAFKA_VERSION}.jar`), t.patroni, t.etcd, t.pgbackrest, join(t.pgBin, 'postgres')];
  return files.filter((f) => !existsSync(f));
}

export function ensureInstalled(): void {
  if (missingPieces().length) runInstaller(true);
}

export function setupCommand(program: Command): void {
  program
    .command('setup')
    .description('install the real servers the sandbox runs (idempotent; cached in ~/.cache/firedrill)')
    .option('--quiet', 'print only what is installed')
    .action((opts: { quiet?: boolean }) => runInstaller(opts.quiet));
}
