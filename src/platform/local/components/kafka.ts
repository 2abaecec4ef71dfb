// Kafka ×N (KRaft, each node broker+controller) from the topology's `kafka` StatefulSet: replica
// count and broker settings (KAFKA_* env → server.properties) come from the model, the listeners
// and directories from the sandbox.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { component } from '../../../topology/model.ts';
import { launchMember, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import { requireInstalled } from '../toolchain.ts';
import type { ComponentDriver, ComponentState, MemberHealth, MemberState, SandboxContext } from '../types.ts';

/** KAFKA_MIN_INSYNC_REPLICAS → min.insync.replicas (the apache/kafka image convention). */
export function brokerSettingsFromEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('KAFKA_')) out[k.slice(6).toLowerCase().replace(/_/g, '.')] = v;
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
  return readdirSync(libs).filter((f) => f.endsWith('.jar')).map((f) => join(libs, f)).join(':');
}

export function bootstrap(state: ComponentState): string {
  return state.members.map((m) => `${HOST}:${m.ports.broker}`).join(',');
}

async function registeredBrokers(brokers: string[]): Promise<number[]> {
  const admin = new Kafka({ clientId: 'firedrill-health', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1_000, requestTimeout: 2_000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.map((b) => b.nodeId);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export const kafka: ComponentDriver = {
  name: 'kafka',

  async prepare(ctx) {
    const model = component(ctx.topology, 'kafka');
    const replicas = model.replicas ?? 1;
    const settings = brokerSettingsFromEnv(model.env);
    const members: MemberState[] = [];
    for (let i = 0; i < replicas; i++) {
      members.push({
        name: `kafka-${i}`,
        index: i,
        ports: { broker: await ctx.ports.allocate(`kafka-${i} broker`), controller: await ctx.ports.allocate(`kafka-${i} controller`) },
        dataDir: join(ctx.dir, 'kafka', `kafka-${i}`),
        processes: [],
        pids: {},
      });
    }
    const voters = members.map((m) => `${m.index}@${HOST}:${m.ports.controller}`).join(',');
    const clusterId = randomBytes(16).toString('base64url');
    const log4j = join(ctx.dir, 'kafka', 'log4j2.properties');
    mkdirSync(join(ctx.dir, 'kafka'), { recursive: true });
    writeFileSync(log4j, LOG4J2);
    const cp = classpath(ctx);

    for (const m of members) {
      mkdirSync(m.dataDir, { recursive: true });
      const props: Record<string, string> = {
        ...settings,
        'node.id': String(m.index),
        'process.roles': 'broker,controller',
        'controller.quorum.voters': voters,
        listeners: `PLAINTEXT://${HOST}:${m.ports.broker},CONTROLLER://${HOST}:${m.ports.controller}`,
        'advertised.listeners': `PLAINTEXT://${HOST}:${m.ports.broker}`,
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'log.dirs': join(m.dataDir, 'data'),
        // The sandbox's brokers share two cores: keep start-up and rebalancing quick.
        'group.initial.rebalance.delay.ms': '0',
        'num.network.threads': '2',
        'num.io.threads': '4',
      };
      const file = join(m.dataDir, 'server.properties');
      writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
      const format = spawnSync(ctx.toolchain.java, ['-cp', cp, `-Dlog4j2.configurationFile=${log4j}`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', file], { encoding: 'utf8' });
      if (format.status !== 0) throw new Error(`kafka-${m.index}: formatting storage failed:\n${format.stdout}${format.stderr}`);
      m.processes.push({
        name: m.name,
        command: ctx.toolchain.java,
        args: ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`, '-cp', cp, 'kafka.Kafka', file],
        logFile: join(m.dataDir, 'broker.log'),
        cwd: m.dataDir,
      });
    }
    const state: ComponentState = {
      component: 'kafka',
      members,
      endpoints: {},
      info: { clusterId, settings, version: ctx.toolchain.versions.KAFKA_VERSION },
    };
    state.endpoints.bootstrap = bootstrap(state);
    return state;
  },

  async start(ctx, state) {
    // A KRaft quorum needs a majority of controllers up, so all members start together.
    for (const m of state.members) launchMember(ctx, m);
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
