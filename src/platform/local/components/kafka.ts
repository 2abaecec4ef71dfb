// Kafka ×N (KRaft, each node broker+controller) from the topology's `kafka` StatefulSet: replica
// count and broker settings (KAFKA_* env → server.properties) come from the model, the listeners
// and directories from the sandbox.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { component } from '../../../topology/model.ts';
import { launchMember, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import { requireInstalled } from '../toolchain.ts';
import { registeredBrokers } from '../../../systems/kafka/client.ts';
import type { ComponentDriver, ComponentState, MemberHealth, MemberState, SandboxContext } from '../types.ts';

/**
 * Controller-only KRaft voters beside the 3 combined broker+controller nodes. With 3 voters, losing
 * 2 brokers also loses the metadata quorum, so the cluster cannot even shrink the ISR and the
 * RF 3 / min ISR 2 promise (refuse acks=all writes with NotEnoughReplicas, lose nothing) could
 * never be observed. With 5 voters the quorum survives any two broker losses, as a production
 * cluster with a dedicated controller pool does.
 */
export const EXTRA_CONTROLLERS = 2;

function execJava(java: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** KAFKA_MIN_INSYNC_REPLICAS → min.insync.replicas (the apache/kafka image convention). */
/** Settings the sandbox always sets itself: identity, listeners, quorum and directories. */
const LOCAL_OWNED = new Set([
  'node.id',
  'listeners',
  'advertised.listeners',
  'listener.security.protocol.map',
  'inter.broker.listener.name',
  'controller.listener.names',
  'controller.quorum.voters',
  'log.dirs',
  'process.roles',
]);

export function brokerSettingsFromEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const key = k.slice(6).toLowerCase().replace(/_/g, '.');
    if (k.startsWith('KAFKA_') && !LOCAL_OWNED.has(key)) out[key] = v;
  }
  return out;
}

const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d{ISO8601}] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = org.apache.kafka
logger.kafka.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
`;

function classpath(ctx: SandboxContext): string {
  const libs = requireInstalled(`Kafka ${ctx.toolchain.versions.KAFKA_VERSION}`, ctx.toolchain.kafkaLibs);
  return readdirSync(libs)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => join(libs, f))
    .join(':');
}

export function bootstrap(state: ComponentState): string {
  return state.members.map((m) => `${HOST}:${m.ports.broker}`).join(',');
}

export const kafka: ComponentDriver = {
  name: 'kafka',

  async prepare(ctx) {
    const model = component(ctx.topology, 'kafka');
    const replicas = model.replicas ?? 1;
    const settings = brokerSettingsFromEnv(model.env);
    const node = async (i: number, name: string): Promise<MemberState> => ({
      name,
      index: i,
      ports: {
        ...(i < replicas ? { broker: await ctx.ports.allocate(`${name} broker`) } : {}),
        controller: await ctx.ports.allocate(`${name} controller`),
      },
      dataDir: join(ctx.dir, 'kafka', name),
      processes: [],
      pids: {},
    });
    const members: MemberState[] = [];
    for (let i = 0; i < replicas; i++) members.push(await node(i, `kafka-${i}`));
    const controllers: MemberState[] = [];
    for (let i = replicas; i < replicas + EXTRA_CONTROLLERS; i++)
      controllers.push(await node(i, `kafka-controller-${i}`));

    const voters = [...members, ...controllers]
      .map((m) => `${m.index}@${HOST}:${m.ports.controller}`)
      .join(',');
    const clusterId = newClusterId();
    const log4j = join(ctx.dir, 'kafka', 'log4j2.properties');
    mkdirSync(join(ctx.dir, 'kafka'), { recursive: true });
    writeFileSync(log4j, LOG4J2);
    const cp = classpath(ctx);

    for (const m of [...members, ...controllers]) {
      mkdirSync(m.dataDir, { recursive: true });
      const isBroker = m.ports.broker !== undefined;
      const props: Record<string, string> = {
        // Controllers need the settings too: with eligible leader replicas (Kafka 4), the active
        // controller publishes its own min.insync.replicas as the cluster default. A controller-only
        // node without it silently turned the cluster's min ISR into 1.
        ...settings,
        'node.id': String(m.index),
        'process.roles': isBroker ? 'broker,controller' : 'controller',
        'controller.quorum.voters': voters,
        listeners: isBroker
          ? `PLAINTEXT://${HOST}:${m.ports.broker},CONTROLLER://${HOST}:${m.ports.controller}`
          : `CONTROLLER://${HOST}:${m.ports.controller}`,
        ...(isBroker
          ? {
              'advertised.listeners': `PLAINTEXT://${HOST}:${m.ports.broker}`,
              'inter.broker.listener.name': 'PLAINTEXT',
            }
          : {}),
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'controller.listener.names': 'CONTROLLER',
        'log.dirs': join(m.dataDir, 'data'),
        // The sandbox's brokers share two cores: keep start-up and rebalancing quick, and give
        // leadership back to the preferred replica soon after a drill (default: 5 minutes).
        'group.initial.rebalance.delay.ms': '0',
        'num.network.threads': '2',
        'num.io.threads': '4',
        'leader.imbalance.check.interval.seconds': '10',
      };
      const file = join(m.dataDir, 'server.properties');
      writeFileSync(
        file,
        Object.entries(props)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n') + '\n',
      );
      m.processes.push({
        name: m.name,
        command: ctx.toolchain.java,
        args: [
          '-Xms128m',
          isBroker ? '-Xmx512m' : '-Xmx192m',
          '-XX:+UseG1GC',
          '-XX:TieredStopAtLevel=1',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${log4j}`,
          '-cp',
          cp,
          'kafka.Kafka',
          file,
        ],
        logFile: join(m.dataDir, 'server.log'),
        cwd: m.dataDir,
      });
    }
    // Formatting is one JVM per node; run them side by side.
    await Promise.all(
      [...members, ...controllers].map(async (m) => {
        const file = join(m.dataDir, 'server.properties');
        const format = await execJava(ctx.toolchain.java, [
          '-cp',
          cp,
          `-Dlog4j2.configurationFile=${log4j}`,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          file,
        ]);
        if (format.code !== 0) throw new Error(`${m.name}: formatting storage failed:\n${format.output}`);
      }),
    );
    const state: ComponentState = {
      component: 'kafka',
      members,
      support: controllers,
      endpoints: {},
      info: {
        clusterId,
        settings,
        voters: members.length + controllers.length,
        version: ctx.toolchain.versions.KAFKA_VERSION,
      },
    };
    state.endpoints.bootstrap = bootstrap(state);
    return state;
  },

  async start(ctx, state) {
    // A KRaft quorum needs a majority of controllers up, so all nodes start together.
    for (const m of [...(state.support ?? []), ...state.members]) launchMember(ctx, m);
    for (const m of state.members) await this.startMember(ctx, state, m);
  },

  async startMember(ctx, state, member) {
    launchMember(ctx, member);
    await waitHealthy(member, 'the broker to register with the cluster', async () =>
      (await registeredBrokers([`${HOST}:${member.ports.broker}`])).includes(member.index),
    );
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    let registered: number[] = [];
    let error = '';
    try {
      registered = await registeredBrokers(state.endpoints.bootstrap!.split(','));
    } catch (err) {
      error = (err as Error).message;
    }
    return state.members.map((m) => ({
      member: m.name,
      up: registered.includes(m.index),
      detail: registered.includes(m.index) ? `broker ${m.index} registered` : error || 'not registered',
    }));
  },
};

/**
 * A KRaft cluster id: 16 random bytes, base64url. One in 64 of those starts with "-", which the
 * storage tool's argument parser reads as an option ("--cluster-id: expected one argument"), so
 * such ids are drawn again — Kafka's own generator skips them for the same reason.
 */
export function newClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
