// kube-score (built by `deploy/local/install.sh --with k8s`, version in deploy/local/versions.env)
// over deploy/k8s exactly as `firedrill deploy` applies it: the kustomization's resources with its
// images: rules (loadDeployPlan). Zero CRITICAL findings beyond deploy/k8s/kube-score-waivers.yaml,
// and no waiver that suppresses nothing. In the e2e tier because the unit tier runs before setup.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { allObjects, loadDeployPlan } from '../../src/platform/kubernetes/plan.ts';
import type { KubeObject } from '../../src/platform/kubernetes/objects.ts';
import { cacheRoot, readVersions } from '../../src/platform/local/toolchain.ts';
import { MANIFEST_DIR } from '../../src/topology/load.ts';

const run = promisify(execFile);
const versions = readVersions();
const KUBE_SCORE = join(
  cacheRoot(),
  `kube-score-${versions.KUBE_SCORE_VERSION!.replace(/^v/, '')}`,
  'bin',
  'kube-score',
);
const WAIVERS_FILE = join(MANIFEST_DIR, 'kube-score-waivers.yaml');
/** kube-score's version-dependent checks (deprecated APIs) judged against the cluster firedrill tests on. */
const KUBERNETES_MINOR = versions.KUBERNETES_VERSION!.split('.').slice(0, 2).join('.');
const CRITICAL = 1; // kube-score's grades: 1 critical, 5 warning, 7 almost OK, 10 OK

interface Finding {
  object: string;
  check: string;
  detail: string;
}
interface Waiver {
  object: string;
  check: string;
  reason: string;
}

/** One line per CRITICAL comment, as kube-score's own `-o ci` output counts them. */
async function criticalFindings(objects: KubeObject[]): Promise<Finding[]> {
  if (!existsSync(KUBE_SCORE))
    throw new Error(`kube-score is not installed at ${KUBE_SCORE}: run deploy/local/install.sh --with k8s`);
  // YAML 1.1 output: kube-score's parser reads a bare yes/no/on/off as a boolean.
  const input = objects.map((o) => stringify(o, { version: '1.1' })).join('---\n');
  const child = execFile(
    KUBE_SCORE,
    ['score', '--output-format', 'json', '--kubernetes-version', KUBERNETES_MINOR, '-'],
    { maxBuffer: 64 << 20 },
  );
  const out = new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    // Exit code 1 means "critical findings": the JSON on stdout says which.
    child.on('close', (code) => (code === 0 || code === 1 ? resolve(stdout) : reject(new Error(stderr))));
  });
  child.stdin!.end(input);
  type Scored = {
    type_meta: { kind: string };
    object_meta: { name: string; namespace?: string };
    checks: {
      check: { id: string };
      grade: number;
      skipped: boolean;
      comments: { path?: string; summary: string }[] | null;
    }[];
  };
  const findings: Finding[] = [];
  for (const o of JSON.parse(await out) as Scored[]) {
    const object = `${o.type_meta.kind} ${o.object_meta.namespace ? `${o.object_meta.namespace}/` : ''}${o.object_meta.name}`;
    for (const c of o.checks) {
      if (c.skipped || c.grade !== CRITICAL) continue;
      for (const comment of c.comments?.length ? c.comments : [{ summary: '(no comment)' }])
        findings.push({
          object,
          check: c.check.id,
          detail: `${comment.path ? `(${comment.path}) ` : ''}${comment.summary}`,
        });
    }
  }
  return findings;
}

function loadWaivers(file = WAIVERS_FILE): Waiver[] {
  const list = parseYaml(readFileSync(file, 'utf8'));
  if (!Array.isArray(list)) throw new Error(`${file}: must be a YAML list of {object, check, reason}`);
  return list.map((w: Record<string, unknown>, i: number) => {
    for (const field of ['object', 'check', 'reason'])
      if (typeof w?.[field] !== 'string' || !(w[field] as string).trim())
        throw new Error(
          `${file}: waiver ${i + 1} has no "${field}" (every waiver names object, check and reason)`,
        );
    return { object: w.object as string, check: w.check as string, reason: w.reason as string };
  });
}

const suppresses = (w: Waiver, f: Finding) =>
  w.check === f.check && (w.object === '*' || w.object === f.object);

function applyWaivers(findings: Finding[], waivers: Waiver[]): { unwaived: Finding[]; stale: Waiver[] } {
  return {
    unwaived: findings.filter((f) => !waivers.some((w) => suppresses(w, f))),
    stale: waivers.filter((w) => !findings.some((f) => suppresses(w, f))),
  };
}

const rendered = (): KubeObject[] => allObjects(loadDeployPlan()).map((o) => o.manifest);

describe('kube-score over deploy/k8s as firedrill deploys it', () => {
  const waivers = loadWaivers();

  it('has no CRITICAL finding that is not waived, and no waiver that suppresses nothing', async () => {
    const objects = rendered();
    const findings = await criticalFindings(objects);
    const { unwaived, stale } = applyWaivers(findings, waivers);
    console.log(
      `kube-score ${versions.KUBE_SCORE_VERSION} over ${objects.length} objects: ${findings.length} CRITICAL findings, ` +
        `${findings.length - unwaived.length} waived by ${waivers.length} waivers, ${unwaived.length} left`,
    );
    expect(unwaived).toEqual([]);
    expect(stale).toEqual([]);
  });

  it('every waiver names a check kube-score has, and an object of the topology', async () => {
    const { stdout } = await run(KUBE_SCORE, ['list']);
    const checks = new Set(stdout.split('\n').map((l) => l.split(',')[0]));
    const objects = new Set(rendered().map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`));
    for (const w of waivers) {
      expect(checks.has(w.check), `${w.object} ${w.check}`).toBe(true);
      if (w.object !== '*') expect(objects.has(w.object), w.object).toBe(true);
    }
  });

  // The two checks above can fail: a manifest regression is reported, a fixed finding's waiver is stale.
  it('reports a regression (a container without its securityContext) and a waiver left stale by a fix', async () => {
    const objects = rendered();
    const redis = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'redis')!;
    const pod = (redis.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template
      .spec;
    delete pod.containers[0]!.securityContext;
    const { unwaived } = applyWaivers(await criticalFindings(objects), waivers);
    expect(unwaived).toEqual(
      expect.arrayContaining([
        {
          object: 'Deployment slo-scout-data/redis',
          check: 'container-security-context-readonlyrootfilesystem',
          detail: '(redis) Container has no configured security context',
        },
      ]),
    );

    const fixed = rendered();
    const kafka = fixed.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'kafka')!;
    const kafkaPod = (kafka.spec as { template: { spec: { containers: Record<string, unknown>[] } } })
      .template.spec;
    (kafkaPod.containers[0]!.securityContext as Record<string, unknown>).readOnlyRootFilesystem = true;
    const { stale } = applyWaivers(await criticalFindings(fixed), waivers);
    expect(stale).toEqual([
      expect.objectContaining({
        object: 'StatefulSet slo-scout-streaming/kafka',
        check: 'container-security-context-readonlyrootfilesystem',
      }),
    ]);
  });

  it('refuses a waiver without its reason, naming the field', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'firedrill-kube-score-')), 'waivers.yaml');
    writeFileSync(file, '- {object: "*", check: container-image-pull-policy}\n');
    expect(() => loadWaivers(file)).toThrow(/waiver 1 has no "reason"/);
  });
});
