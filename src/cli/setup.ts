// `firedrill setup`: runs the installer (deploy/local/install.sh). Other commands call
// ensureInstalled(), which runs it only when something is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { REPO_ROOT } from '../topology/load.ts';
import { toolchain } from '../platform/local/toolchain.ts';
import { UserError } from '../util/errors.ts';

/** Optional parts the installer builds only on request (`--with k8s`: the Kubernetes test control plane and real test node). */
export const OPTIONAL_PARTS = ['k8s'] as const;
export type OptionalPart = (typeof OPTIONAL_PARTS)[number];

export function runInstaller(quiet = false, withParts: OptionalPart[] = []): void {
  const script = join(REPO_ROOT, 'deploy', 'local', 'install.sh');
  const args = [script, ...(quiet ? ['--quiet'] : []), ...withParts.flatMap((p) => ['--with', p])];
  const result = spawnSync('bash', args, { stdio: 'inherit' });
  const again = `firedrill setup${withParts.map((p) => ` --with ${p}`).join('')}`;
  if (result.status !== 0)
    throw new UserError('setup failed (see the lines above)', `fix what it names and run \`${again}\` again`);
}

export function missingPieces(): string[] {
  const t = toolchain();
  const files = [
    t.temporal,
    t.minio,
    t.milvusPython,
    join(t.kafkaLibs, `kafka_2.13-${t.versions.KAFKA_VERSION}.jar`),
    t.patroni,
    t.etcd,
    t.pgbackrest,
    t.redisServer,
    join(t.pgBin, 'postgres'),
  ];
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
    .option(
      '--with <part>',
      'also build an optional part: k8s (the Kubernetes test control plane and a real node with its images, for the e2e tests)',
    )
    .action((opts: { quiet?: boolean; with?: string }) => {
      if (opts.with !== undefined && !(OPTIONAL_PARTS as readonly string[]).includes(opts.with)) {
        throw new UserError(
          `unknown part "${opts.with}" for --with`,
          `choose from: ${OPTIONAL_PARTS.join(', ')}`,
        );
      }
      runInstaller(opts.quiet, opts.with ? [opts.with as OptionalPart] : []);
    });
}
