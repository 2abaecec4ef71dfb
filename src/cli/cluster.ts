// `firedrill cluster up|down|status`: the Kubernetes test cluster as a standing service — the test
// control plane with its KWOK nodes (test-cluster.ts) and a real node beside them (test-node.ts),
// started by one command and left running (its processes are detached), stopped by another, which
// puts the host back as it was before `up`.
import type { Command } from 'commander';
import { strictNumber } from '../drill/options.ts';
import {
  clusterMarker,
  missingControlPlane,
  startTestCluster,
  testClusterHome,
  testClusterPids,
} from '../platform/kubernetes/test-cluster.ts';
import { startTestNode, stopLeftoverNode, testNodeStatus } from '../platform/kubernetes/test-node.ts';
import { sweep } from '../platform/local/process.ts';
import { UserError } from '../util/errors.ts';
import { join } from 'node:path';

const nodeNameOf = (cluster: string) => `${cluster}-node`;

function clusterName(v: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(v))
    throw new UserError(`cluster name "${v}" is not a DNS label of at most 42 characters`);
  return v;
}

function kwokCount(v: string): number {
  const n = strictNumber(v);
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 20)
    throw new UserError(`--kwok-nodes ${v} is not a whole number from 0 to 20`);
  return n;
}

export function clusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description(
      'a local Kubernetes test cluster: control plane and KWOK nodes on 127.0.0.1, plus one real node (root; `setup --with k8s`)',
    );

  cluster
    .command('up')
    .description('start the control plane, the KWOK nodes and the real node, and leave them running')
    .option(
      '--name <name>',
      'cluster name (kubeconfig context firedrill-test-<name>)',
      clusterName,
      'default',
    )
    .option('--kwok-nodes <n>', 'fake nodes for workloads whose images do not exist here', kwokCount, 2)
    .option('--no-node', 'no real node: KWOK nodes only')
    .action(async (opts: { name: string; kwokNodes: number; node: boolean }) => {
      if (missingControlPlane().length) missingControlPlaneError();
      if (testClusterPids(opts.name).length)
        throw new UserError(
          `cluster ${opts.name} is already up`,
          `see \`firedrill cluster status --name ${opts.name}\`, or run \`firedrill cluster down --name ${opts.name}\` first`,
        );
      const t0 = Date.now();
      const log = (m: string) => console.log(`  ${m}`);
      const c = await startTestCluster({
        name: opts.name,
        nodes: opts.kwokNodes,
        ...(opts.node ? { realNode: {} } : {}),
        log,
      });
      if (opts.node) {
        try {
          const n = await startTestNode(c, { name: nodeNameOf(opts.name), log });
          console.log(
            `real node ${n.name} at ${n.nodeIp} (pods ${n.podCidr} on ${n.bridge}); images: ${Object.values(n.images).join(', ')}`,
          );
        } catch (err) {
          await c.stop();
          throw err;
        }
      }
      console.log(`cluster ${opts.name} up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      console.log(`  kubeconfig ${c.kubeconfig}`);
      console.log(`  context    ${c.context}`);
      console.log(`  stop with  firedrill cluster down --name ${opts.name}`);
    });

  cluster
    .command('down')
    .description('stop the cluster and put the host back as it was before `up`')
    .option('--name <name>', 'cluster name', clusterName, 'default')
    .action(async (opts: { name: string }) => {
      const log = (m: string) => console.log(`  ${m}`);
      const diff = await stopLeftoverNode(nodeNameOf(opts.name), log);
      const ended = await sweep(clusterMarker(opts.name));
      if (!diff && !ended) {
        console.log(`cluster ${opts.name} is not up`);
        return;
      }
      console.log(`cluster ${opts.name} down (${ended} control-plane process(es) ended)`);
      if (diff?.lines.length)
        throw new UserError(
          `the host still differs from before \`cluster up\`: ${diff.lines.join('; ')}`,
          `the record is kept in ${join(testClusterHome(), '..', 'k8s-nodes', nodeNameOf(opts.name))}; run \`firedrill cluster down\` again, or undo these by hand`,
        );
      if (diff) console.log('  host as before `cluster up`');
    });

  cluster
    .command('status')
    .description('what of the cluster is running')
    .option('--name <name>', 'cluster name', clusterName, 'default')
    .action((opts: { name: string }) => {
      const controlPlane = testClusterPids(opts.name).length;
      const node = testNodeStatus(nodeNameOf(opts.name));
      const kubeconfig = join(testClusterHome(), opts.name, 'kubeconfig');
      console.log(
        `cluster ${opts.name}: ${controlPlane ? `up (${controlPlane} control-plane processes)` : 'down'}`,
      );
      if (controlPlane) console.log(`  kubeconfig ${kubeconfig}`);
      const procs = Object.entries(node.processes);
      console.log(
        `  real node ${nodeNameOf(opts.name)}: ${procs.length ? `${node.nodeIp} on ${node.bridge}; RSS MiB ${procs.map(([p, m]) => `${p} ${m}`).join(', ')}` : node.recorded ? 'stopped, host not yet restored (run `cluster down`)' : 'not running'}`,
      );
    });
}

function missingControlPlaneError(): never {
  throw new UserError(
    `the Kubernetes test control plane is not built (missing ${missingControlPlane().join(', ')})`,
    'run `npx firedrill setup --with k8s`',
  );
}
