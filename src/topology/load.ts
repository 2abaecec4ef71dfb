// Reads the manifests named by deploy/k8s/kustomization.yaml and builds the topology model.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { Topology } from './model.ts';
import { parseTopology } from './parse.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MANIFEST_DIR = join(REPO_ROOT, 'deploy', 'k8s');

export function loadManifests(dir = MANIFEST_DIR): Record<string, unknown>[] {
  const kustomization = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
  const docs: Record<string, unknown>[] = [];
  for (const file of kustomization.resources as string[]) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const value = doc.toJS();
      if (value) docs.push(value);
    }
  }
  return docs;
}

let cached: Topology | undefined;
export function loadTopology(dir = MANIFEST_DIR): Topology {
  if (dir !== MANIFEST_DIR) return parseTopology(loadManifests(dir));
  cached ??= parseTopology(loadManifests(dir));
  return cached;
}
