// The Platform interface over the local sandbox. Re-reads sandbox.json on every call: the CLI,
// the worker and tests all act on the same sandbox from different processes.
import { UserError } from '../../util/errors.ts';
import { own, ownNames } from '../../util/own.ts';
import type {
  MemberDescription,
  MemberHealth,
  Platform,
  PlatformMember,
  PlatformRef,
  WorkloadDescription,
} from '../platform.ts';
import { drivers } from './components/index.ts';
import { Sandbox } from './sandbox.ts';
import { memberByName, memberRunning } from './members.ts';
import type { ComponentName } from './types.ts';

export class LocalPlatform implements Platform {
  readonly ref: PlatformRef;

  constructor(readonly sandboxName = 'default') {
    this.ref = { kind: 'local', sandbox: sandboxName };
  }

  private sandbox(): Sandbox {
    return Sandbox.open({ name: this.sandboxName });
  }

  endpoints(component: string): Record<string, string> {
    return this.sandbox().component(component as ComponentName).endpoints;
  }

  info(component: string): Record<string, unknown> {
    return this.sandbox().component(component as ComponentName).info;
  }

  members(component: string): PlatformMember[] {
    return this.sandbox()
      .component(component as ComponentName)
      .members.map((m) => ({ name: m.name, index: m.index }));
  }

  async checkKill(component: string): Promise<void> {
    this.sandbox().component(component as ComponentName); // refuses a component the sandbox lacks
  }

  async describe(component: string, member: string | number): Promise<MemberDescription> {
    const m = memberByName(this.sandbox().component(component as ComponentName).members, member);
    const pids = Object.values(m.pids);
    return {
      name: m.name,
      index: m.index,
      incarnation: pids.length ? pids.join(',') : 'none',
      up: memberRunning(m),
      terminating: false,
      host: 'this machine',
      place: `sandbox ${this.sandboxName}, ${m.name}`,
    };
  }

  async workload(component: string): Promise<WorkloadDescription> {
    const c = this.sandbox().component(component as ComponentName);
    return { workload: `sandbox ${this.sandboxName} processes`, replicas: c.members.length };
  }

  async kill(component: string, member: string | number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.sandbox().kill(component as ComponentName, member, signal);
  }

  async restart(component: string, member?: string | number): Promise<string[]> {
    return this.sandbox().restart(component as ComponentName, member);
  }

  async health(component: string): Promise<MemberHealth[]> {
    return this.sandbox().componentHealth(component as ComponentName);
  }

  async action(component: string, name: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const sandbox = this.sandbox();
    const state = sandbox.component(component as ComponentName);
    const actions = own(drivers, component)?.actions ?? {};
    const act = own(actions, name);
    if (!act) {
      throw new UserError(
        `component "${component}" has no action "${name}" in the local sandbox`,
        `its actions are: ${ownNames(actions)}`,
      );
    }
    return act(sandbox.context, state, args);
  }

  versions(): Record<string, string> {
    const v = this.sandbox().context.toolchain.versions;
    return {
      kafka: v.KAFKA_VERSION!,
      postgresql: v.POSTGRES_MAJOR!,
      minio: v.MINIO_VERSION!,
      milvus: v.MILVUS_VERSION!,
      temporalCli: v.TEMPORAL_CLI_VERSION!,
      node: process.version,
    };
  }
}
