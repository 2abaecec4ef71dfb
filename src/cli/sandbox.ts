// `firedrill sandbox up|status|kill|restart|down`.
import type { Command } from 'commander';
import { Sandbox, parseComponents } from '../platform/local/sandbox.ts';
import type { ComponentName } from '../platform/local/types.ts';
import { UserError } from '../util/errors.ts';
import { ensureInstalled } from './setup.ts';
import { sandboxNameArg } from '../util/names.ts';
import { strictNumber } from '../drill/options.ts';

interface Common {
  name: string;
  json?: boolean;
}

const SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGCONT', 'SIGINT'];

function printEndpoints(sandbox: Sandbox): void {
  for (const [component, endpoints] of Object.entries(sandbox.endpoints())) {
    for (const [key, value] of Object.entries(endpoints))
      console.log(`  ${component.padEnd(12)} ${key.padEnd(10)} ${value}`);
  }
}

/** `--port-base`: plain digits only (0x401 and 1e4 were ports once); the range is checked below. */
export const portBaseArg = (v: string): number => strictNumber(v) ?? NaN;

export function sandboxCommands(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('the local sandbox: SLO-Scout data services as real processes on 127.0.0.1');

  sandbox
    .command('up')
    .description('start the sandbox (all components, or --only a subset)')
    .option('--only <components>', 'comma-separated: kafka,timescaledb,minio,milvus,redis,temporal')
    .option(
      '--name <name>',
      'sandbox name (one data directory and process set each)',
      sandboxNameArg('--name'),
      'default',
    )
    .option('--port-base <port>', 'use consecutive ports from here instead of free ones', portBaseArg)
    .option('--json', 'print endpoints as JSON')
    .option(
      '--delete-history',
      "first delete the sandbox's history: the results database (every recorded run, marker and canary sample) and the Temporal database (every schedule and workflow)",
    )
    .action(async (opts: Common & { only?: string; portBase?: number; deleteHistory?: boolean }) => {
      const only = parseComponents(opts.only); // validated before anything starts
      if (
        opts.portBase !== undefined &&
        !(Number.isInteger(opts.portBase) && opts.portBase > 1024 && opts.portBase < 65_000)
      ) {
        throw new UserError(
          `--port-base ${opts.portBase} is not a port number`,
          'give an integer between 1025 and 64999',
        );
      }
      ensureInstalled();
      const started = Date.now();
      const sb = await Sandbox.up({
        name: opts.name,
        only,
        portBase: opts.portBase,
        deleteHistory: opts.deleteHistory,
        // What --delete-history deleted is said even with --json (on stderr): it cannot be undone.
        log: opts.json ? (m) => m.startsWith('deleted ') && console.error(m) : (m) => console.log(`  ${m}`),
      });
      const seconds = (Date.now() - started) / 1000;
      if (opts.json) {
        console.log(
          JSON.stringify({
            name: opts.name,
            dir: sb.state.dir,
            history: sb.state.history,
            seconds,
            endpoints: sb.endpoints(),
          }),
        );
        return;
      }
      console.log(`sandbox "${opts.name}" up in ${seconds.toFixed(1)} s (${sb.state.dir})`);
      console.log(
        `  history: ${sb.state.history} (results and Temporal; kept by \`sandbox down\` and the next \`up\`)`,
      );
      printEndpoints(sb);
    });

  sandbox
    .command('status')
    .description('health of every member, checked with its own protocol')
    .option('--name <name>', 'sandbox name', sandboxNameArg('--name'), 'default')
    .option('--json', 'print as JSON')
    .action(async (opts: Common) => {
      const sb = Sandbox.open({ name: opts.name });
      const health = await sb.status();
      if (opts.json) {
        console.log(
          JSON.stringify({ name: opts.name, dir: sb.state.dir, endpoints: sb.endpoints(), health }),
        );
        return;
      }
      console.log(`sandbox "${opts.name}" (${sb.state.dir})`);
      for (const [component, members] of Object.entries(health)) {
        for (const m of members)
          console.log(
            `  ${component.padEnd(12)} ${m.member.padEnd(16)} ${m.up ? 'up  ' : 'DOWN'}  ${m.detail}`,
          );
      }
      printEndpoints(sb);
      if (Object.values(health).some((ms) => ms.some((m) => !m.up))) process.exitCode = 1;
    });

  sandbox
    .command('kill <component> [member]')
    .description('kill one member (by name or index) or all members of a component')
    .option('--signal <signal>', `one of ${SIGNALS.join(', ')}`, 'SIGKILL')
    .option('--name <name>', 'sandbox name', sandboxNameArg('--name'), 'default')
    .action(async (component: string, member: string | undefined, opts: Common & { signal: string }) => {
      const [name] = parseComponents(component) as [ComponentName];
      const signal = opts.signal.toUpperCase().replace(/^(?!SIG)/, 'SIG');
      if (!SIGNALS.includes(signal))
        throw new UserError(`unknown signal "${opts.signal}"`, `use one of ${SIGNALS.join(', ')}`);
      const killed = await Sandbox.open({ name: opts.name }).kill(name, member, signal as NodeJS.Signals);
      console.log(`sent ${signal} to ${killed.join(', ')}`);
    });

  sandbox
    .command('restart <component> [member]')
    .description('start again the members that are not running, and wait until they rejoin')
    .option('--name <name>', 'sandbox name', sandboxNameArg('--name'), 'default')
    .action(async (component: string, member: string | undefined, opts: Common) => {
      const [name] = parseComponents(component) as [ComponentName];
      const restarted = await Sandbox.open({ name: opts.name }).restart(name, member);
      console.log(
        restarted.length
          ? `restarted ${restarted.join(', ')}`
          : 'nothing to restart: every member is running',
      );
    });

  sandbox
    .command('down')
    .description('stop every process of the sandbox (children and orphans included)')
    .option('--name <name>', 'sandbox name', sandboxNameArg('--name'), 'default')
    .action(async (opts: Common) => {
      const sb = Sandbox.open({ name: opts.name });
      const { stopped, swept } = await sb.down();
      console.log(
        `sandbox "${opts.name}" down: ${stopped} member(s) stopped, ${swept} stray process(es) swept; history kept in ${sb.state.history ?? sb.context.history}`,
      );
    });
}
