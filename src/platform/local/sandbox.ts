// The local sandbox: SLO-Scout's data tier as real processes on loopback, laid out from the
// topology model. State lives in <home>/sandboxes/<name>/sandbox.json so that any later command
// (status, kill, restart, down) — or another process, like a Temporal worker — can act on it.
// That folder is disposable; what must outlive it (results, Temporal) is in <home>/history/<name>/.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadTopology } from '../../topology/load.ts';
import { UserError } from '../../util/errors.ts';
import { checkSandboxName, insideRoot } from '../../util/names.ts';
import { own } from '../../util/own.ts';
import { killMember, memberByName, memberRunning } from './members.ts';
import { PortAllocator } from './ports.ts';
import { markedProcesses, sweep, type RunAs } from './process.ts';
import { toolchain } from './toolchain.ts';
import {
  COMPONENTS,
  type ComponentDriver,
  type ComponentName,
  type ComponentState,
  type MemberHealth,
  type SandboxContext,
} from './types.ts';
import { drivers } from './components/index.ts';
import { adoptLegacyHistory, deleteHistory, describeHistory, historyDirFor } from './history.ts';

export interface SandboxState {
  id: string;
  name: string;
  dir: string;
  /** Where the results and Temporal databases live: kept by `down` and by the next `up`. */
  history: string;
  createdAt: string;
  components: Partial<Record<ComponentName, ComponentState>>;
}

export interface SandboxOptions {
  name?: string;
  home?: string;
  portBase?: number;
  log?: (message: string) => void;
}

export const sandboxHome = () => process.env.FIREDRILL_HOME ?? '/var/tmp/firedrill';

export function parseComponents(list: string | undefined): ComponentName[] {
  if (!list) return [...COMPONENTS];
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(COMPONENTS as readonly string[]).includes(n)) {
      throw new UserError(`unknown component "${n}" in --only`, `choose from: ${COMPONENTS.join(', ')}`);
    }
  }
  // Keep the canonical start order whatever order the user typed.
  return COMPONENTS.filter((c) => names.includes(c));
}

/** The unprivileged account servers run as when we are root (PostgreSQL refuses root). */
export function unprivilegedUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = process.env.FIREDRILL_RUN_AS ?? 'firedrill';
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) {
    throw new UserError(
      `running as root, but the unprivileged user "${user}" that PostgreSQL needs does not exist`,
      'run `npx firedrill setup` (it creates it) or set FIREDRILL_RUN_AS to an existing user',
    );
  }
  const [, , uid, gid] = line.split(':');
  return { user, uid: Number(uid), gid: Number(gid) };
}

export class Sandbox {
  private constructor(
    readonly state: SandboxState,
    private readonly ctx: SandboxContext,
  ) {}

  /** <home>/sandboxes/<name>; refuses a name that is not one, or a path that leads outside. */
  static dirFor(name = 'default', home = sandboxHome()): string {
    return insideRoot(join(home, 'sandboxes'), checkSandboxName(name));
  }

  /** Opens an existing sandbox; refuses with the fix when there is none. */
  static open(opts: SandboxOptions = {}): Sandbox {
    const dir = Sandbox.dirFor(opts.name, opts.home);
    const file = join(dir, 'sandbox.json');
    if (!existsSync(file)) {
      throw new UserError(
        `no sandbox "${opts.name ?? 'default'}" at ${dir}`,
        'start one with `firedrill sandbox up`',
      );
    }
    const state = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
    // `down` acts on state.dir: a sandbox.json that names another folder is not this sandbox's.
    if (resolve(state.dir) !== dir)
      throw new UserError(
        `${file} names the folder ${state.dir}, not its own`,
        'stop its processes by hand and remove the file, then `firedrill sandbox up` again',
      );
    return new Sandbox(state, Sandbox.context(state, opts));
  }

  static exists(opts: SandboxOptions = {}): boolean {
    return existsSync(join(Sandbox.dirFor(opts.name, opts.home), 'sandbox.json'));
  }

  private static context(state: SandboxState, opts: SandboxOptions): SandboxContext {
    return {
      id: state.id,
      dir: state.dir,
      // A sandbox.json written before history had its own folder does not name it.
      history: state.history ?? historyDirFor(state.name, opts.home ?? sandboxHome()),
      topology: loadTopology(),
      ports: new PortAllocator(opts.portBase),
      toolchain: toolchain(),
      runAs: unprivilegedUser(),
      log: opts.log ?? (() => {}),
    };
  }

  /**
   * Starts the chosen components. On any failure everything it started is stopped again. Reuses
   * the sandbox's history (results, Temporal) unless `deleteHistory`: then it deletes it first and
   * logs what was lost. Tests ask for that, since the machine's FIREDRILL_HOME outlives them.
   */
  static async up(
    opts: SandboxOptions & { only?: ComponentName[]; deleteHistory?: boolean } = {},
  ): Promise<Sandbox> {
    const name = opts.name ?? 'default';
    const home = opts.home ?? sandboxHome();
    const history = historyDirFor(name, home);
    const dir = Sandbox.dirFor(name, home);
    const log = opts.log ?? (() => {});
    const id = `${name}@${dir}`;
    const alive = markedProcesses(id);
    if (alive.length) {
      throw new UserError(
        `sandbox "${name}" is already up (${alive.length} processes, e.g. pid ${alive[0]})`,
        'use it as it is, or run `firedrill sandbox down` first',
      );
    }
    if (opts.deleteHistory) {
      log(`deleted the history of sandbox "${name}": ${describeHistory(deleteHistory(history))}`);
    } else {
      for (const moved of adoptLegacyHistory(dir, history)) log(`kept ${moved} from the old sandbox folder`);
    }
    // A stale sandbox whose processes are all gone: only disposable files (its history is elsewhere).
    // `dir` came from dirFor: a checked name, a path inside <home>/sandboxes/ — never /var, never
    // the root of every sandbox.
    rmSync(dir, { recursive: true, force: true });
    for (const d of [dir, history]) {
      mkdirSync(d, { recursive: true });
      // Every level readable by the unprivileged user the servers run as.
      for (let up = d; up !== '/' && up.startsWith(home); up = join(up, '..')) chmodSync(up, 0o755);
    }

    const state: SandboxState = {
      id,
      name,
      dir,
      history,
      createdAt: new Date().toISOString(),
      components: {},
    };
    const sandbox = new Sandbox(state, Sandbox.context(state, opts));
    try {
      for (const component of opts.only ?? COMPONENTS) await sandbox.startComponent(component);
    } catch (err) {
      await sandbox.down().catch(() => {});
      throw err;
    }
    return sandbox;
  }

  /**
   * Opens the sandbox if it is up and starts whichever of `only` it lacks; otherwise brings up a
   * new one with just those. What `run` and `gameday` use: they start only what they need.
   */
  /**
   * Brings `only` up: starts what is missing, restarts members that are down — except on a
   * component a drill holds (`heldBy` answers who, once the results database is up): a member
   * down there may be that drill's fault, and restarting it would silently undo a fault still in
   * flight or left in place.
   */
  static async ensure(
    opts: SandboxOptions & {
      only: ComponentName[];
      heldBy?: (component: ComponentName) => Promise<string | undefined>;
    },
  ): Promise<Sandbox> {
    if (!Sandbox.exists(opts)) return Sandbox.up(opts);
    const sandbox = Sandbox.open(opts);
    // The results database first: it holds the locks every other component is checked against.
    const order = [...opts.only].sort((a, b) => Number(b === 'results') - Number(a === 'results'));
    for (const name of order) {
      const existing = sandbox.state.components[name];
      if (existing && existing.members.every(memberRunning)) continue;
      if (existing) {
        const holder = name === 'results' ? undefined : await opts.heldBy?.(name);
        if (holder) {
          sandbox.ctx.log(`${name}: a member is down and left as it is — ${holder}`);
          continue;
        }
        await sandbox.restart(name);
        continue;
      }
      await sandbox.startComponent(name);
    }
    return sandbox;
  }

  private driver(name: ComponentName): ComponentDriver {
    return drivers[name];
  }

  private async startComponent(name: ComponentName): Promise<void> {
    const started = Date.now();
    this.ctx.log(`${name}: preparing`);
    const driver = this.driver(name);
    const cstate = await driver.prepare(this.ctx);
    this.state.components[name] = cstate;
    this.save();
    this.ctx.log(`${name}: starting ${cstate.members.length} member(s)`);
    try {
      await driver.start(this.ctx, cstate);
    } finally {
      this.save(); // pids, even of a failed start, so down() can find them
    }
    this.ctx.log(`${name}: up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  save(): void {
    // Holds credentials (results database, Patroni): readable by its owner only.
    writeFileSync(join(this.state.dir, 'sandbox.json'), JSON.stringify(this.state, null, 2), { mode: 0o600 });
  }

  component(name: ComponentName): ComponentState {
    const c = own(this.state.components, name);
    if (!c) {
      const up = Object.keys(this.state.components).join(', ') || 'none';
      throw new UserError(
        `component "${name}" is not running in this sandbox (running: ${up})`,
        `run \`firedrill sandbox up --only ${name}\``,
      );
    }
    return c;
  }

  endpoints(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [name, c] of Object.entries(this.state.components)) out[name] = c.endpoints;
    return out;
  }

  async status(): Promise<Record<string, MemberHealth[]>> {
    const out: Record<string, MemberHealth[]> = {};
    for (const name of Object.keys(this.state.components) as ComponentName[])
      out[name] = await this.componentHealth(name);
    return out;
  }

  /** One component's members, each checked with the component's own protocol. */
  async componentHealth(name: ComponentName): Promise<MemberHealth[]> {
    const c = this.component(name);
    const health = await this.driver(name)
      .health(this.ctx, c)
      .catch((err: Error) => c.members.map((m) => ({ member: m.name, up: false, detail: err.message })));
    // A member whose processes are gone is down whatever a cached client may say.
    return health.map((h) => {
      const m = c.members.find((x) => x.name === h.member);
      return m && !memberRunning(m) ? { ...h, up: false, detail: 'process not running' } : h;
    });
  }

  /** Kills one member (default: all members) with the given signal. The fault of most drills. */
  async kill(
    name: ComponentName,
    member?: string | number,
    signal: NodeJS.Signals = 'SIGKILL',
  ): Promise<string[]> {
    const c = this.component(name);
    const targets = member === undefined ? c.members : [memberByName(c.members, member)];
    for (const m of targets) await killMember(m, signal);
    this.save();
    return targets.map((m) => m.name);
  }

  /** Starts again whatever members of the component are not running, and waits for them. */
  async restart(name: ComponentName, member?: string | number): Promise<string[]> {
    const c = this.component(name);
    const targets = member === undefined ? c.members : [memberByName(c.members, member)];
    const restarted: string[] = [];
    for (const m of targets) {
      if (memberRunning(m)) continue;
      await killMember(m, 'SIGKILL'); // half-dead members (one of two processes gone) start clean
      try {
        await this.driver(name).startMember(this.ctx, c, m);
      } finally {
        this.save(); // the new pids, even if it never became healthy, so a retry can stop it first
      }
      restarted.push(m.name);
    }
    return restarted;
  }

  /** Stops everything, then sweeps for any process still carrying the sandbox's marker. */
  async down(): Promise<{ stopped: number; swept: number }> {
    let stopped = 0;
    for (const name of [...COMPONENTS].reverse()) {
      const c = this.state.components[name];
      if (!c) continue;
      // Members stop in parallel (a Kafka broker's controlled shutdown alone takes seconds);
      // support processes (e.g. Patroni's etcd) only after them. Throwaway data: short grace.
      for (const group of [c.members, c.support ?? []]) {
        stopped += group.filter((m) => Object.keys(m.pids).length).length;
        await Promise.all(group.map((m) => killMember(m, 'SIGTERM', 5_000)));
      }
    }
    const swept = await sweep(this.state.id);
    rmSync(insideRoot(this.state.dir, 'sandbox.json'), { force: true });
    return { stopped, swept };
  }

  get context(): SandboxContext {
    return this.ctx;
  }
}
