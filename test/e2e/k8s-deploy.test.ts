// The Kubernetes path against a real control plane (startTestCluster: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler; KWOK fake nodes mark pods Running/Ready and provision
// every volume claim): deployTopologyWorkflow deploys the whole SLO-Scout topology to Ready, a
// re-deploy changes nothing, a Kafka pod deleted by the kafka-pod-delete drill is recreated by its
// StatefulSet and the drill records the pod-level recovery, the runner's RBAC refuses what it must
// (impersonating its ServiceAccount), bad input is refused before anything changes, and a worker
// SIGKILLed mid-deploy is replaced by one that finishes it.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { DeployInput, DeployOutcome } from '../../activities/kubernetes.ts';
import { deployFailure, startDeploy } from '../../src/cli/deploy.ts';
import { startDrill } from '../../src/cli/run.ts';
import { newRunId } from '../../src/util/runs.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import { KubeApi, KubeApiError, type KubeObject } from '../../src/platform/kubernetes/api.ts';
import { applyObject, dryRunPlan } from '../../src/platform/kubernetes/apply.ts';
import { allObjects, loadDeployPlan, type DeployPlan } from '../../src/platform/kubernetes/plan.ts';
import { KubernetesPlatform } from '../../src/platform/kubernetes/platform.ts';
import { awaitRollout, rolloutStatus } from '../../src/platform/kubernetes/rollout.ts';
import { startTestCluster, type TestCluster } from '../../src/platform/kubernetes/test-cluster.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import type { PlatformRef } from '../../src/platform/platform.ts';
import { REPO_ROOT } from '../../src/topology/load.ts';
import { createLogger } from '../../src/util/log.ts';
import { waitFor } from '../../src/util/wait.ts';
import { startWorker, type RunningWorker } from '../../worker/worker.ts';
import { firedrill as cli } from './cli.ts';
import { externalWorkers } from './engine-harness.ts';
import { deployProgressQuery, deployWorkflowId, type DeployProgress } from '../../workflows/names.ts';

const SANDBOX = 'e2e-k8s-deploy';
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'firedrill-k8s-e2e-'));
const RUNNER_SA = 'system:serviceaccount:firedrill:firedrill-runner';
/** kubectl, when this machine has one: the manifests must be what `kubectl apply -k` accepts. */
const kubectl = ['/usr/local/bin/kubectl', '/usr/bin/kubectl'].find((f) => existsSync(f));

let sandbox: Sandbox;
let connection: Connection;
let client: Client;
let worker: RunningWorker | undefined;

/** The harness's kubeconfig, plus the firedrill.io/disposable marker on its context. */
function disposableCopy(cluster: TestCluster): string {
  const kc = JSON.parse(readFileSync(cluster.kubeconfig, 'utf8'));
  kc.contexts[0].context.extensions = [{ name: 'firedrill.io/disposable', extension: 'true' }];
  const file = join(work, `${cluster.name}-disposable.kubeconfig`);
  writeFileSync(file, JSON.stringify(kc), { mode: 0o600 });
  return file;
}

/** The harness's kubeconfig without any disposable marker: a context to be confirmed by name. */
function preciousCopy(cluster: TestCluster): string {
  const kc = JSON.parse(readFileSync(cluster.kubeconfig, 'utf8'));
  delete kc.contexts[0].context.extensions;
  const file = join(work, `${cluster.name}-precious.kubeconfig`);
  writeFileSync(file, JSON.stringify(kc), { mode: 0o600 });
  return file;
}

/** The same credentials, acting as `user` through the Impersonate-User header (kubeconfig `as`). */
function impersonating(cluster: TestCluster, user: string): string {
  const kc = JSON.parse(readFileSync(cluster.kubeconfig, 'utf8'));
  kc.users[0].user.as = user;
  kc.contexts[0].context.extensions = [{ name: 'firedrill.io/disposable', extension: 'true' }];
  const file = join(work, `${cluster.name}-as-${user.replace(/[^a-z0-9-]/g, '_')}.kubeconfig`);
  writeFileSync(file, JSON.stringify(kc), { mode: 0o600 });
  return file;
}

function apiFor(kubeconfig: string, context: string): KubeApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  kc.setCurrentContext(context);
  return new KubeApi(kc);
}

/** `firedrill …` with no kubeconfig from the environment: every test names its own. */
const firedrill = (...args: string[]) => cli(args, { KUBECONFIG: '' });

/**
 * A fresh control plane for one describe block (handed to `up` once running), and an in-process
 * worker beside it unless the block runs its own; both stopped after the block.
 */
function useCluster(name: string, up: (c: TestCluster) => void, opts: { worker?: boolean } = {}): void {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    const t0 = Date.now();
    cluster = await startTestCluster({ name, nodes: 4, log: (m) => console.log(`[${name}] ${m}`) });
    console.log(`[${name}] control plane up in ${Date.now() - t0} ms`);
    up(cluster);
    if (opts.worker !== false)
      worker = await startWorker({
        address: sandbox.endpoints().temporal!.address!,
        log: createLogger({ component: 'worker' }),
      });
  });
  afterAll(async () => {
    await worker?.stop();
    worker = undefined;
    await cluster?.stop();
  });
}

// Separate worker processes, as in production, so that one can be SIGKILLed mid-deploy.
const workers = externalWorkers(() => SANDBOX);

const workloads = (plan: DeployPlan) =>
  allObjects(plan).filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.ref.kind));

async function everyWorkloadReady(api: KubeApi, plan: DeployPlan): Promise<string[]> {
  const notReady: string[] = [];
  for (const w of workloads(plan)) {
    const s = rolloutStatus(await api.get<KubeObject>(w.ref), w.ref);
    if (!s.done) notReady.push(`${w.ref.namespace}/${w.ref.name}: ${s.detail}`);
  }
  return notReady;
}

/** Deploys through the workflow, sampling its progress query while it runs. */
async function deploy(
  input: DeployInput,
): Promise<{ outcome: DeployOutcome; samples: DeployProgress[]; ms: number }> {
  const t0 = Date.now();
  const handle = await startDeploy(client, input);
  const samples: DeployProgress[] = [];
  let done = false;
  const result = handle.result().finally(() => (done = true));
  result.catch(() => {});
  while (!done) {
    samples.push(await handle.query(deployProgressQuery).catch(() => undefined as unknown as DeployProgress));
    await Promise.race([result.catch(() => {}), new Promise((r) => setTimeout(r, 300))]);
  }
  return { outcome: await result, samples: samples.filter(Boolean), ms: Date.now() - t0 };
}

beforeAll(async () => {
  if (Sandbox.exists({ name: SANDBOX })) await Sandbox.open({ name: SANDBOX }).down();
  sandbox = await Sandbox.up({
    name: SANDBOX,
    only: ['results', 'temporal'],
    deleteHistory: true, // no deploy workflows left by an earlier test run
    log: (m) => console.log(`[sandbox ${SANDBOX}] ${m}`),
  });
  connection = await Connection.connect({ address: sandbox.endpoints().temporal!.address! });
  client = new Client({ connection });
});

afterAll(async () => {
  workers.killAll();
  await worker?.stop();
  await connection?.close();
  await sandbox?.down();
});

describe('deploy, drill and guard rails on one cluster', () => {
  let cluster: TestCluster;
  let kubeconfig: string; // marked disposable
  let api: KubeApi;
  const plan = loadDeployPlan();

  /** `firedrill deploy` against this block's cluster, as an operator runs it. */
  const deployCli = (...extra: string[]) =>
    firedrill('deploy', '--context', cluster.context, '--kubeconfig', kubeconfig, ...extra);

  useCluster('e2e-k8s-deploy', (c) => {
    cluster = c;
    kubeconfig = disposableCopy(cluster);
    api = apiFor(kubeconfig, cluster.context);
  });

  it('refuses a manifest the API server rejects, showing its message and the object, and changes nothing', async () => {
    const dir = join(work, 'bad-manifests');
    cpSync(join(REPO_ROOT, 'deploy', 'k8s'), dir, { recursive: true });
    writeFileSync(
      join(dir, '90-bad.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: typo, namespace: slo-scout-backend}',
        'spec:',
        '  replica: 3', // strict field validation: unknown field
        '  selector: {matchLabels: {app: typo}}',
        '  template:',
        '    metadata: {labels: {app: typo}}',
        '    spec: {containers: [{name: typo, image: "slo-scout/api"}]}',
        '---',
        'apiVersion: v1',
        'kind: Service',
        'metadata: {name: bad-port, namespace: slo-scout-backend}',
        'spec: {selector: {app: api}, ports: [{port: 70000}]}',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      readFileSync(join(dir, 'kustomization.yaml'), 'utf8').replace(
        '  - 80-ingress.yaml\n',
        '  - 80-ingress.yaml\n  - 90-bad.yaml\n',
      ),
    );
    const bad = loadDeployPlan({ dir });
    const target = { context: cluster.context, kubeconfig };
    const failed = await deploy({ target, plan: bad }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    const message = deployFailure(failed).message;
    expect(message).toMatch(
      /^deploy failed: 2 of \d+ manifests rejected by the API server; nothing was applied:/,
    );
    expect(message).toMatch(
      /the API server rejected Deployment slo-scout-backend\/typo \(validated in namespace default: slo-scout-backend does not exist yet\): .*(unknown field "spec\.replica"|\.spec\.replica: field not declared in schema)/,
    );
    expect(message).toMatch(/--- Deployment slo-scout-backend\/typo\napiVersion: apps\/v1\nkind: Deployment/);
    expect(message).toMatch(
      /the API server rejected Service slo-scout-backend\/bad-port .*: .*spec.ports\[0\].port: Invalid value: 70000/,
    );
    // Nothing was applied: not even the first tier's namespaces.
    const namespaces = await api.list({ apiVersion: 'v1', kind: 'Namespace' });
    expect(namespaces.items.map((n) => n.metadata.name).filter((n) => n.startsWith('slo-scout-'))).toEqual(
      [],
    );
    console.log(`rejected manifest: ${message.split('\n')[1]}`);
  });

  it('firedrill deploy --dry-run asks the server what would change, and changes nothing', async () => {
    const out = await deployCli('--dry-run');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`^${plan.total} to create, 0 to update, 0 unchanged \\(${plan.total} objects\\)$`, 'm'),
    );
    expect(out.stdout).toMatch(/^ {2}create {5}StatefulSet slo-scout-streaming\/kafka$/m);
    expect(out.stdout).toMatch(/nothing was changed$/m);
    expect(
      (await api.list({ apiVersion: 'v1', kind: 'Namespace' })).items.some((n) =>
        n.metadata.name.startsWith('slo-scout-'),
      ),
    ).toBe(false);
  });

  it('deploys the whole topology tier by tier, and every workload becomes Ready', async () => {
    const { outcome, samples, ms } = await deploy({ target: { context: cluster.context, kubeconfig }, plan });
    expect(outcome.planned).toEqual({ create: plan.total, update: 0, unchanged: 0 });
    expect([outcome.created, outcome.configured, outcome.unchanged]).toEqual([plan.total, 0, 0]);
    expect(await everyWorkloadReady(api, plan)).toEqual([]);
    // Progress went through the tiers in dependency order, and showed what it waited for.
    const seenTiers = [...new Set(samples.map((s) => s.tier).filter(Boolean))];
    expect(seenTiers).toEqual(plan.tiers.map((t) => t.tier).filter((t) => seenTiers.includes(t)));
    expect(samples.some((s) => s.waitingFor.some((w) => w.workload.startsWith('StatefulSet ')))).toBe(true);
    const kafka = await api.list(
      { apiVersion: 'v1', kind: 'Pod', namespace: 'slo-scout-streaming' },
      { labelSelector: 'app=kafka' },
    );
    expect(kafka.items.map((p) => p.metadata.name).sort()).toEqual(['kafka-0', 'kafka-1', 'kafka-2']);
    const logs = await api.list(
      { apiVersion: 'v1', kind: 'Pod', namespace: 'slo-scout-collectors' },
      { labelSelector: 'app=log-collector' },
    );
    expect(logs.items).toHaveLength(4); // one per node
    const slowest = [...outcome.rollouts].sort((a, b) => b.ms - a.ms)[0]!;
    console.log(
      `full-topology deploy: ${(ms / 1000).toFixed(1)} s for ${plan.total} objects in ${plan.tiers.length} tiers (dry run ${((outcome.validatedAt - outcome.startedAt) / 1000).toFixed(1)} s), ` +
        `${workloads(plan).length} workloads Ready; slowest wait ${slowest.workload} ${slowest.ms} ms`,
    );
  });

  it('a re-deploy is a no-op: every object unchanged (firedrill deploy, as an operator runs it)', async () => {
    const dry = await deployCli('--dry-run');
    expect(dry.stdout).toMatch(new RegExp(`^0 to create, 0 to update, ${plan.total} unchanged`, 'm'));
    const t0 = Date.now();
    const cli = await deployCli('--sandbox', SANDBOX, '--json');
    expect(cli.code).toBe(0);
    const lines = cli.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^deployed to ${cluster.context} in [\\d.]+ s: 0 created, 0 configured, ${plan.total} unchanged; ${workloads(plan).length} workloads Ready$`,
      ),
    );
    const outcome = JSON.parse(lines.at(-1)!) as DeployOutcome;
    expect(outcome.planned).toEqual({ create: 0, update: 0, unchanged: plan.total });
    expect([outcome.created, outcome.configured, outcome.unchanged]).toEqual([0, 0, plan.total]);
    console.log(
      `re-deploy: ${((outcome.finishedAt - outcome.startedAt) / 1000).toFixed(1)} s in the workflow (${((Date.now() - t0) / 1000).toFixed(1)} s with the CLI), 0 changed of ${plan.total}`,
    );
  });

  it('a changed image shows as an update in the dry run and is rolled out', async () => {
    const changed = loadDeployPlan({ images: ['slo-scout/ui=registry.example.com/slo-scout/ui:2.0.0'] });
    const changes = await dryRunPlan(api, changed);
    const updates = changes.filter((c) => c.change !== 'unchanged');
    expect(updates).toEqual([
      {
        ref: expect.objectContaining({ kind: 'Deployment', name: 'ui' }),
        change: 'update',
        fields: expect.arrayContaining(['spec.template.spec.containers[0].image']),
      },
    ]);
    const { outcome } = await deploy({ target: { context: cluster.context, kubeconfig }, plan: changed });
    expect([outcome.created, outcome.configured]).toEqual([0, 1]);
    const ui = await api.get<KubeObject>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'ui',
      namespace: 'slo-scout-frontend',
    });
    expect(rolloutStatus(ui).done).toBe(true);
  });

  it("the quota caps the API's HPA range at 4 replicas: a rollout past it fails with the quota's reason", async () => {
    // What the unit test computes from the manifests (firedrill.io/quota-ceiling), on the real
    // ResourceQuota admission: 10 API replicas (the HPA's maximum) do not fit slo-scout-backend.
    const tooMany = structuredClone(plan);
    const api10 = allObjects(tooMany).find((o) => o.ref.kind === 'Deployment' && o.ref.name === 'api')!;
    (api10.manifest.spec as { replicas: number }).replicas = 10;
    const failed = await deploy({
      target: { context: cluster.context, kubeconfig },
      plan: tooMany,
      rolloutTimeoutMs: 20_000,
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    const message = deployFailure(failed).message;
    expect(message).toMatch(
      /^deploy failed: Deployment slo-scout-backend\/api did not roll out within 20 s:\nDeployment slo-scout-backend\/api: 4\/10 ready, FailedCreate: .*exceeded quota: compute-quota/,
    );
    console.log(`quota ceiling on the API server: ${message.split('\n')[1]}`);
    const restored = await deploy({ target: { context: cluster.context, kubeconfig }, plan });
    expect(restored.outcome.configured).toBeGreaterThanOrEqual(1);
    expect(await everyWorkloadReady(api, plan)).toEqual([]);
  });

  it('deleting a Kafka pod: the StatefulSet recreates it, and kafka-pod-delete records the pod-level recovery', async () => {
    const platform: PlatformRef = {
      kind: 'kubernetes',
      context: cluster.context,
      kubeconfig,
      sandbox: SANDBOX,
    };
    const before = await api.get<KubeObject & { metadata: { uid: string } }>({
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'kafka-1',
      namespace: 'slo-scout-streaming',
    });
    const input = {
      runId: newRunId('kafka-pod-delete', 'one-pod'),
      drill: 'kafka-pod-delete',
      variant: 'one-pod',
      options: { ordinal: 1 },
      platform,
      reportsDir: join(work, 'reports'),
    };
    const handle = await startDrill(client, input, 'kafka');
    const result = (await handle.result()) as DrillResult;
    const after = await api.get<KubeObject & { metadata: { uid: string } }>({
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'kafka-1',
      namespace: 'slo-scout-streaming',
    });
    expect(after!.metadata.uid).not.toBe(before!.metadata.uid);
    expect(result.platform).toBe('kubernetes');
    // No data path behind KWOK's pods: the RPO is not measured, so the verdict cannot be MET.
    expect(result.verdict).toBe('INCONCLUSIVE');
    expect(result.reason).toMatch(/no data path/);
    expect(result.rto.serviceMs).toBeGreaterThanOrEqual(0);
    expect(result.rto.serviceMs).toBeLessThan(result.targets.rtoMs);
    const markers = result.timeline.map((m) => m.marker);
    expect(markers).toEqual(expect.arrayContaining(['T0', 'pod-recreated']));
    expect(result.timeline.find((m) => m.marker === 'pod-recreated')!.note).toContain(after!.metadata.uid);
    console.log(
      `kafka-pod-delete: pod kafka-1 recreated, service back in ${result.rto.serviceMs} ms, full in ${result.rto.fullMs} ms; ${result.verdict} (${result.reason})`,
    );
  });

  it('firedrill run --dry-run on Kubernetes shows the pods it would touch', async () => {
    const args = [
      '--platform',
      'kubernetes',
      '--context',
      cluster.context,
      '--kubeconfig',
      kubeconfig,
      '--dry-run',
    ];
    const leader = await firedrill('run', 'kafka-broker-kill', ...args);
    expect(leader.code).toBe(0);
    expect(leader.stdout).toMatch(
      /would delete one or more of these pods \(grace 0\), chosen at injection — SIGKILL the broker that leads the ledger partitions:\n {2}slo-scout-streaming\/kafka-0 {2}Ready {2}on kwok-node-\d\n {2}slo-scout-streaming\/kafka-1 .*\n {2}slo-scout-streaming\/kafka-2 /,
    );
    const one = await firedrill('run', 'kafka-pod-delete', '--option', 'ordinal=2', ...args);
    expect(one.stdout).toMatch(
      /^would delete pod slo-scout-streaming\/kafka-2 \(grace 0\) on kwok-node-\d$/m,
    );
  });

  it('refuses bad input before anything is touched', async () => {
    const ctx = ['--platform', 'kubernetes', '--kubeconfig', kubeconfig, '--dry-run'];
    const unknown = await firedrill('run', 'kafka-pod-delete', ...ctx, '--context', 'firedrill-test-nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(
      `firedrill: unknown context "firedrill-test-nope" in ${kubeconfig}; known contexts: ${cluster.context}`,
    );
    const deployUnknown = await firedrill('deploy', '--context', 'nope', '--kubeconfig', kubeconfig);
    expect(deployUnknown.stderr.trim()).toMatch(
      /^firedrill: unknown context "nope" .*; known contexts: firedrill-test-e2e-k8s-deploy$/,
    );

    const outside = await firedrill(
      'run',
      'kafka-pod-delete',
      ...ctx,
      '--context',
      cluster.context,
      '--namespaces',
      'slo-scout-data',
    );
    expect(outside.code).toBe(2);
    expect(outside.stderr.trim()).toBe(
      'firedrill: namespace slo-scout-streaming is not in the allowlist (slo-scout-data); add it with --namespaces if it is meant to be drilled',
    );
    const system = await firedrill(
      'run',
      'kafka-pod-delete',
      ...ctx,
      '--context',
      cluster.context,
      '--namespaces',
      'slo-scout-streaming,kube-system',
    );
    expect(system.stderr.trim()).toMatch(/^firedrill: namespace kube-system cannot be allowlisted/);

    // A kubeconfig without the disposable marker: confirmation by name is needed.
    const preciousKubeconfig = preciousCopy(cluster);
    const precious = [
      '--platform',
      'kubernetes',
      '--kubeconfig',
      preciousKubeconfig,
      '--context',
      cluster.context,
      '--dry-run',
    ];
    const unconfirmed = await firedrill('run', 'kafka-pod-delete', ...precious);
    expect(unconfirmed.stderr.trim()).toBe(
      `firedrill: context "${cluster.context}" is not marked disposable; pass --confirm-context ${cluster.context} to drill it anyway, or mark it with the context extension firedrill.io/disposable: "true" in your kubeconfig`,
    );
    const confirmed = await firedrill(
      'run',
      'kafka-pod-delete',
      ...precious,
      '--confirm-context',
      cluster.context,
    );
    expect(confirmed.code).toBe(0);
    const deployUnconfirmed = await firedrill(
      'deploy',
      '--context',
      cluster.context,
      '--kubeconfig',
      preciousKubeconfig,
    );
    expect(deployUnconfirmed.stderr.trim()).toMatch(
      /is not marked disposable; pass --confirm-context .* to deploy to it anyway/,
    );

    const local = await firedrill('run', 'kafka-pod-delete', '--dry-run');
    expect(local.stderr.trim()).toBe(
      'firedrill: drill kafka-pod-delete needs the "self-healing" capability, which the local platform does not have; run it with --platform kubernetes --context <name>',
    );
  });

  describe('the runner in the cluster (deploy/runner): least privilege, checked by impersonating its ServiceAccount', () => {
    const pod = (name: string, namespace: string) => ({ apiVersion: 'v1', kind: 'Pod', name, namespace });
    let asRunner: KubeApi;
    let runnerKubeconfig: string;

    beforeAll(async () => {
      const docs = ['namespace.yaml', 'rbac.yaml', 'worker.yaml'].flatMap((f) =>
        parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'runner', f), 'utf8')).map(
          (d) => d.toJS() as KubeObject,
        ),
      );
      for (const o of docs.filter(Boolean))
        await applyObject(api, {
          ref: {
            apiVersion: o.apiVersion,
            kind: o.kind,
            name: o.metadata.name,
            namespace: o.metadata.namespace,
          },
          manifest: o,
        });
      await awaitRollout(
        api,
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'firedrill-worker', namespace: 'firedrill' },
        { timeoutMs: 120_000 },
      );
      runnerKubeconfig = impersonating(cluster, RUNNER_SA);
      asRunner = apiFor(runnerKubeconfig, cluster.context);
    });

    const forbidden = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).status).toBe(403);
      return (err as KubeApiError).serverMessage;
    };

    it('may not delete a pod in kube-system', async () => {
      const kubeSystemPod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bystander', namespace: 'kube-system' },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
      };
      await applyObject(api, { ref: pod('bystander', 'kube-system'), manifest: kubeSystemPod });
      const message = await forbidden(
        asRunner.delete(pod('bystander', 'kube-system'), { gracePeriodSeconds: 0 }),
      );
      expect(message).toContain(
        `User "${RUNNER_SA}" cannot delete resource "pods" in API group "" in the namespace "kube-system"`,
      );
      expect(await api.get(pod('bystander', 'kube-system'))).not.toBeNull();
    });

    it('may not read a Secret, even in its own slo-scout namespaces', async () => {
      await applyObject(api, {
        ref: { apiVersion: 'v1', kind: 'Secret', name: 'kafka-sasl', namespace: 'slo-scout-streaming' },
        manifest: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'kafka-sasl', namespace: 'slo-scout-streaming' },
          stringData: { password: 'x' },
        },
      });
      expect(
        await forbidden(
          asRunner.get({
            apiVersion: 'v1',
            kind: 'Secret',
            name: 'kafka-sasl',
            namespace: 'slo-scout-streaming',
          }),
        ),
      ).toContain('cannot get resource "secrets"');
      expect(
        await forbidden(
          asRunner.list({ apiVersion: 'v1', kind: 'Secret', namespace: 'slo-scout-streaming' }),
        ),
      ).toContain('cannot list resource "secrets"');
    });

    it('has nothing cluster-wide: no pods across namespaces, no namespaces, no exec, no changes to workloads', async () => {
      expect(await forbidden(asRunner.request('GET', '/api/v1/pods'))).toContain(
        'cannot list resource "pods" in API group "" at the cluster scope',
      );
      expect(await forbidden(asRunner.list({ apiVersion: 'v1', kind: 'Namespace' }))).toContain(
        'cannot list resource "namespaces"',
      );
      expect(
        await forbidden(
          asRunner.request(
            'POST',
            '/api/v1/namespaces/slo-scout-streaming/pods/kafka-0/exec?command=true&stdout=true',
          ),
        ),
      ).toContain('cannot create resource "pods/exec"');
      expect(
        await forbidden(
          asRunner.request('PATCH', '/apis/apps/v1/namespaces/slo-scout-streaming/statefulsets/kafka', {
            body: { spec: { replicas: 1 } },
            contentType: 'application/merge-patch+json',
          }),
        ),
      ).toContain('cannot patch resource "statefulsets"');
    });

    it('may delete a pod in slo-scout-streaming: the platform driver, as the runner, kills kafka-2 and watches it recover', async () => {
      const k8s = new KubernetesPlatform({
        kind: 'kubernetes',
        context: cluster.context,
        kubeconfig: runnerKubeconfig,
      });
      const before = await k8s.podFor('kafka', 2);
      await k8s.kill('kafka', 2, 'SIGKILL');
      const back = await k8s.restart('kafka', 2, { timeoutMs: 60_000 });
      const after = await k8s.podFor('kafka', 2);
      expect(after.uid).not.toBe(before.uid);
      expect(after.ready).toBe(true);
      expect(back.length).toBeLessThanOrEqual(1);
      expect((await k8s.health('kafka')).every((m) => m.up)).toBe(true);
    });

    it('a missing permission is refused before acting, naming the verb and the resource', async () => {
      const nobody = impersonating(cluster, 'system:serviceaccount:firedrill:nobody');
      const k8s = new KubernetesPlatform({
        kind: 'kubernetes',
        context: cluster.context,
        kubeconfig: nobody,
      });
      await expect(k8s.kill('kafka', 0)).rejects.toThrow(
        /^missing RBAC permission to kill a member of kafka: get statefulsets\.apps in namespace slo-scout-streaming; get pods in namespace slo-scout-streaming; list pods in namespace slo-scout-streaming; watch pods in namespace slo-scout-streaming; delete pods in namespace slo-scout-streaming \(as system:serviceaccount:firedrill:nobody\)/,
      );
      const out = await firedrill(
        'run',
        'kafka-pod-delete',
        '--platform',
        'kubernetes',
        '--context',
        cluster.context,
        '--kubeconfig',
        nobody,
        '--dry-run',
      );
      expect(out.stderr.trim()).toMatch(
        /^firedrill: missing RBAC permission to kill a member of kafka: .*delete pods in namespace slo-scout-streaming/,
      );
      expect(await api.get(pod('kafka-0', 'slo-scout-streaming'))).not.toBeNull();
    });
  });
});

describe.skipIf(!kubectl)(
  'plain YAML: kubectl apply -k accepts it, and firedrill deploy takes it over unchanged',
  () => {
    let cluster: TestCluster;
    useCluster('e2e-k8s-kubectl', (c) => (cluster = c));

    it('kubectl apply -k deploy/k8s and deploy/runner on a fresh cluster, deploy/k8s-gpu as a server-side dry run', async () => {
      const kubeconfig = disposableCopy(cluster);
      const k = (...args: string[]) =>
        run(kubectl!, ['--kubeconfig', kubeconfig, '--context', cluster.context, ...args], {
          timeout: 120_000,
        });
      const plan = loadDeployPlan();
      const applied = await k('apply', '-k', join(REPO_ROOT, 'deploy', 'k8s'));
      expect(
        applied.stdout
          .trim()
          .split('\n')
          .filter((l) => / created$/.test(l)),
      ).toHaveLength(plan.total);
      const gpu = await k('apply', '-k', join(REPO_ROOT, 'deploy', 'k8s-gpu'), '--dry-run=server');
      expect(gpu.stdout).toMatch(/^deployment\.apps\/embedding-service configured \(server dry run\)$/m);
      const runner = await k('apply', '-k', join(REPO_ROOT, 'deploy', 'runner'));
      expect(runner.stdout).toMatch(/^rolebinding\.rbac\.authorization\.k8s\.io\/firedrill-runner created$/m);
      // firedrill deploy on top: server-side apply takes the fields over, the objects stay as they are.
      const { outcome } = await deploy({ target: { context: cluster.context, kubeconfig }, plan });
      expect(outcome.created).toBe(0);
      expect(outcome.configured).toBe(0);
      expect(await everyWorkloadReady(apiFor(kubeconfig, cluster.context), plan)).toEqual([]);
    });
  },
);

describe('resumable: a worker SIGKILLed mid-deploy, a new worker finishes it', () => {
  let cluster: TestCluster;

  // No worker in this process: the test runs its own, in processes it can SIGKILL.
  useCluster('e2e-k8s-resume', (c) => (cluster = c), { worker: false });

  it('finishes every tier after the kill, applying nothing twice', async () => {
    const kubeconfig = disposableCopy(cluster);
    const plan = loadDeployPlan();
    const first = workers.spawn();
    const t0 = Date.now();
    const handle = await startDeploy(client, { target: { context: cluster.context, kubeconfig }, plan });
    // Killed while it waits for the streaming tier's rollouts (or later): tiers behind it are done.
    const at = await waitFor(
      'the deploy to reach the streaming tier',
      async () => {
        const p = await handle.query(deployProgressQuery);
        // An activity in flight (a rollout watch) when the worker dies, or the deploy already over.
        return (['streaming', 'collectors', 'backend'].includes(p.tier ?? '') && p.waitingFor.length > 0) ||
          p.phase === 'done'
          ? p
          : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 100 },
    );
    workers.kill(first);
    console.log(
      `worker SIGKILLed at tier ${at.tier}, ${at.applied}/${at.total} applied, waiting for ${at.waitingFor.map((w) => w.workload).join(', ') || 'nothing'}`,
    );
    workers.spawn();
    const outcome = await handle.result();
    expect(outcome.created + outcome.unchanged).toBe(plan.total);
    expect(outcome.configured).toBe(0);
    expect(outcome.applied.map((a) => `${a.ref.kind}/${a.ref.namespace}/${a.ref.name}`)).toEqual(
      allObjects(plan).map((o) => `${o.ref.kind}/${o.ref.namespace}/${o.ref.name}`),
    );
    const api = apiFor(kubeconfig, cluster.context);
    expect(await everyWorkloadReady(api, plan)).toEqual([]);
    const history = await client.workflow.getHandle(deployWorkflowId(cluster.context)).fetchHistory();
    const attempts = history.events!.filter(
      (e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
    ).length;
    expect(attempts).toBeGreaterThanOrEqual(1); // the killed worker's activity ran again elsewhere
    console.log(
      `resumed deploy: ${((Date.now() - t0) / 1000).toFixed(1)} s in all, ${attempts} activity attempt(s) retried on the new worker`,
    );
  });
});
