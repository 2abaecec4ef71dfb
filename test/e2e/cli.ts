// `firedrill …` run as a separate process, as an operator runs it: the exit code and the output,
// never a throw, so a test can check a refusal's message as well as a success.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `env` over this process's environment (an undefined value removes a variable). */
export function firedrill(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, FIREDRILL_LOG_LEVEL: 'warn', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args],
      { cwd: ROOT, env: childEnv, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far (both grow while it runs). */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (128 + n for a signal that ended it) and the whole output. */
  exited: Promise<CliResult>;
}

/**
 * `firedrill …` as a running process, for a test that acts on it mid-way (sends it a signal);
 * the same environment rules as firedrill().
 */
export function spawnFiredrill(args: string[], env: Record<string, string | undefined> = {}): RunningCli {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, FIREDRILL_LOG_LEVEL: 'warn', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code: code ?? 128 + (signal ? osConstants.signals[signal] : 0), stdout, stderr }),
    ),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
