// Redis restart and disk loss. Runbook: not in the seed, which gives Redis (SLO-Scout's cache and
// task queue: a Deployment of 1 replica on a 10Gi volume) no DR target; the manifest's annotation
// assumes RTO 5 min, RPO 1 s and says so. Persistence is the manifest's: AOF with appendfsync
// everysec, plus RDB save points.
//
// Ledger: one SET per record under its own key (payload SHA-256 logged); the data check SCANs the
// run's keys back and compares each stored payload's SHA-256.
//
// crash: SIGKILL the server. After `restart-after` (the kubelet restarting the container; on the
//   sandbox the drill's recovery step does it) it starts again and replays its AOF. everysec
//   promises at most ~1 s of acknowledged writes lost; a killed process has already written each
//   acknowledged write to the kernel, so none should be.
// disk-loss: before the fault, while the ledger writes, the backup step takes an RDB snapshot
//   (BGSAVE) and keeps a copy outside the data directory (the sandbox: <sandbox>/redis/backups;
//   in production, wherever the backup job copies it). The ledger keeps writing for
//   `writes-after-backup`; then the server is SIGKILLed and its data directory removed (the volume
//   lost). Recovery: that snapshot is restored into the empty directory (as the base of a new AOF)
//   and the server started. Exactly the writes acknowledged after the snapshot are lost: the RPO is
//   the snapshot's age, judged against the assumed 1 s like any other loss.
import { defineDrill, type Fault } from '../src/drill/definition.ts';
import { ledgerStillWriting, membersDown, sleepWhileWriting } from '../src/drill/observe.ts';
import type { RedisBackup } from '../src/systems/redis/actions.ts';
import {
  COMPONENT,
  isDefiniteWriteFailure,
  redisFor,
  type RedisClient,
} from '../src/systems/redis/client.ts';
import { aofPromise } from '../src/systems/redis/config.ts';
import { serverHealth } from '../src/systems/redis/health.ts';
import { checkSetReply, readLedger, redisKey } from '../src/systems/redis/ledger.ts';
import { modelPersistence } from '../src/systems/redis/model.ts';
import {
  backupStep,
  bringBack,
  destroy,
  redisActions,
  type RedisLoss,
} from '../src/systems/redis/runbook.ts';
import { UserError } from '../src/util/errors.ts';

const MEMBER = 'redis-0';
const BACKUP_FILE = 'backup.json';

interface State {
  client: RedisClient;
  lastPersistence?: string;
}

/** The fault, as the journal keeps it: what bringBack() needs to undo it. */
interface RedisFault extends Fault, RedisLoss {}

/** CONFIG GET name → value (the running server's, not the file's). */
async function configGet(c: RedisClient, name: string): Promise<string | undefined> {
  const reply = await c.command(['CONFIG', 'GET', name]);
  const v = Array.isArray(reply) ? reply[1] : undefined;
  return v === undefined || v === null ? undefined : String(v);
}

export default defineDrill<State>({
  name: 'redis-restart',
  title: 'Redis crash and disk loss (AOF everysec, RDB snapshot restore)',
  hypothesis:
    "With AOF and appendfsync everysec, Redis promises to lose at most 1 s of acknowledged writes: a SIGKILLed server restarts from its AOF within 5 min and loses none (each acknowledged write has reached the kernel). With its data directory lost, the latest RDB snapshot kept as a backup is restored within 5 min and exactly the writes acknowledged after that snapshot are lost — an RPO of the snapshot's age, which breaks the assumed 1 s whenever the snapshot is older.",
  target: { component: COMPONENT, scenario: 'restart' },
  variants: {
    crash: { description: 'SIGKILL the server; it restarts and replays its AOF' },
    'disk-loss': {
      description:
        'snapshot to a backup, keep writing, then SIGKILL the server and remove its data directory; restore the snapshot',
    },
  },
  defaultVariant: 'crash',
  options: {
    'restart-after': {
      type: 'duration',
      default: '1s',
      max: '10m',
      holdsFault: true,
      description:
        'how long the server stays down before it is started again (the kubelet restarting the container; the sandbox emulates it)',
    },
    'writes-after-backup': {
      type: 'duration',
      default: '3s',
      max: '4m', // the injection step has 5 min
      description:
        'disk-loss: how long the ledger keeps writing after the backup snapshot before the fault (the snapshot age the restore must show)',
    },
  },
  probe: { intervalMs: 50, timeoutMs: 1_000, consecutiveOk: 5 },
  ledger: { concurrency: 4, minAckedBeforeFault: 200 },
  needs: [COMPONENT],
  requires: {
    capabilities: ['kill', 'restart', 'actions'],
    actions: ['backup', 'data-files', 'restore', 'wipe-data'],
  },
  remediateAfterMs: (o) => o.number('restart-after'),

  async open(env) {
    return { client: redisFor(env.platform) };
  },

  async close(_env, s) {
    s.client.close();
  },

  async preflight(_env, s) {
    const h = await serverHealth(s.client).catch((err: Error) => {
      throw new UserError(`Redis does not answer: ${err.message}`, 'firedrill sandbox restart redis');
    });
    if (!h.up)
      throw new UserError(
        `Redis is not serving (${h.detail})`,
        'wait for it, or firedrill sandbox restart redis',
      );
    // The drill judges what the manifest declares: a server configured otherwise would be judged
    // against a promise it never made.
    const { persistence: want } = modelPersistence();
    const running = {
      appendonly: await configGet(s.client, 'appendonly'),
      appendfsync: await configGet(s.client, 'appendfsync'),
    };
    const expected = { appendonly: want.appendonly ? 'yes' : 'no', appendfsync: want.appendfsync };
    if (running.appendonly !== expected.appendonly || running.appendfsync !== expected.appendfsync)
      throw new UserError(
        `the running Redis has appendonly ${running.appendonly}, appendfsync ${running.appendfsync}; the manifest (deploy/k8s/20-data.yaml) says appendonly ${expected.appendonly}, appendfsync ${expected.appendfsync}`,
        'restart the sandbox so that it is configured from the manifest (firedrill sandbox down && firedrill sandbox up --only redis)',
      );
  },

  async canary(env, s) {
    const key = `firedrill:canary:${env.runId}`;
    const body = String(Date.now());
    checkSetReply(await s.client.command(['SET', key, body], 1_000));
    const back = await s.client.text(['GET', key], 1_000);
    if (back !== body) throw new Error(`canary read back ${JSON.stringify(back)}, not what it wrote`);
  },

  async write(_env, s, record) {
    checkSetReply(await s.client.command(['SET', redisKey(record.key), record.payload]));
    return {};
  },

  isDefiniteFailure: isDefiniteWriteFailure,

  async readBack(env, _s, prefix) {
    const c = redisFor(env.platform, 15_000);
    try {
      return await readLedger(c, prefix);
    } finally {
      c.close();
    }
  },

  async inject(env): Promise<RedisFault> {
    if (env.variant === 'crash') {
      const fault: RedisFault = {
        description: `SIGKILL ${MEMBER} (the server; AOF appendfsync everysec)`,
        touched: [`${COMPONENT}/${MEMBER}`],
        member: MEMBER,
        wiped: false,
      };
      await env.fire(fault, () => env.platform.kill(COMPONENT, MEMBER, 'SIGKILL'));
      return fault;
    }
    // The backup step: what a backup job does on a schedule, taken here (the ledger writing) so
    // that its age at the fault is known.
    const backup = await backupStep(env, MEMBER);
    env.evidence.write(BACKUP_FILE, backup);
    await sleepWhileWriting(env, env.options.number('writes-after-backup'));
    const fault: RedisFault = {
      description: `SIGKILL ${MEMBER} and remove its data directory (the volume lost); restore RDB snapshot ${backup.name}`,
      touched: [`${COMPONENT}/${MEMBER}`],
      member: MEMBER,
      wiped: true,
      backup,
    };
    await ledgerStillWriting(env); // not aborted while waiting: fire now
    await env.fire(fault, () => destroy(env, MEMBER));
    return fault;
  },

  async confirm(env, _s, fault) {
    const f = fault as RedisFault;
    const down = await membersDown(env, COMPONENT, [f.member]);
    if (!f.wiped) return `down: ${down}`;
    const files = await redisActions(env)('data-files', { member: f.member });
    if (files.length) throw new Error(`the data directory still holds ${files.join(', ')}`);
    return `down: ${down}; its data directory is empty`;
  },

  async remediate(env, fault) {
    await bringBack(env, fault as RedisFault);
  },

  async fullyRecovered(env, s) {
    // Back as the manifest runs it: serving, and persisting again (with AOF on, the log open and
    // no rewrite pending), not merely answering PING.
    const h = await serverHealth(s.client);
    const p = h.persistence;
    const { appendonly } = modelPersistence().persistence;
    const persisting = appendonly
      ? p.aof_enabled === '1' &&
        p.aof_rewrite_in_progress === '0' &&
        p.aof_rewrite_scheduled === '0' &&
        p.aof_last_write_status === 'ok'
      : true;
    const summary = appendonly
      ? `aof_enabled ${p.aof_enabled}, rewrite ${p.aof_rewrite_in_progress === '1' ? 'in progress' : p.aof_rewrite_scheduled === '1' ? 'scheduled' : 'none'}, last write ${p.aof_last_write_status}`
      : 'AOF off by the manifest: RDB snapshots only';
    if (summary !== s.lastPersistence) {
      env.mark(h.up && persisting ? 'persisting' : 'not-persisting-yet', `${h.detail}; ${summary}`);
      s.lastPersistence = summary;
    }
    return h.up && persisting;
  },

  async revert(env, fault) {
    await bringBack(env, fault as RedisFault);
  },

  async recoveryPoint(_env, _s, fault) {
    return (fault as RedisFault).backup?.snapshotAt ?? null;
  },

  async config(env, s) {
    const { args, persistence } = modelPersistence();
    const info = await s.client.info('server').catch(() => ({}) as Record<string, string>);
    const running: Record<string, string | undefined> = {};
    for (const name of ['appendonly', 'appendfsync', 'save', 'aof-use-rdb-preamble'])
      running[name] = await configGet(s.client, name).catch(() => undefined);
    return {
      version: info.redis_version ?? null,
      manifestArgs: args,
      persistence,
      promise: aofPromise(persistence).promise,
      running,
      backup: env.evidence.read<RedisBackup>(BACKUP_FILE) ?? null,
      restartAfterMs: env.options.values['restart-after'],
      writesAfterBackupMs: env.variant === 'disk-loss' ? env.options.values['writes-after-backup'] : null,
    };
  },
});
