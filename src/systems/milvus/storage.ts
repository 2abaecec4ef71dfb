// Milvus's local storage, as its own configuration and layout define it: the root is
// localStorage.path of milvus.yaml, and an index file lives at
// index_files/<build>/<version>/<partition>/<segment>/<file> under it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { IndexFile } from './actions.ts';

/** Milvus's local storage root, as its configuration file names it (localStorage.path). */
export function storageRoot(configFile: string): string {
  const doc = parseDocument(readFileSync(configFile, 'utf8'));
  const path = doc.getIn(['localStorage', 'path']);
  if (typeof path !== 'string' || !path) throw new Error(`${configFile} names no localStorage.path`);
  return path;
}

/** Every file under `dir`, depth first. */
export function walkFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walkFiles(p, out);
    else out.push(p);
  }
  return out;
}

export const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The index files under a storage root, of the given segments (every segment when none given). */
export function indexFiles(root: string, segments: readonly (string | number)[] = []): IndexFile[] {
  const wanted = new Set(segments.map(String));
  const dir = join(root, 'index_files');
  return walkFiles(dir)
    .map((path) => ({ path, rel: path.slice(dir.length + 1).split('/') }))
    .filter((f) => f.rel.length === 5 && (!wanted.size || wanted.has(f.rel[3]!)))
    .map((f) => ({
      path: f.path,
      buildId: f.rel[0]!,
      partitionId: f.rel[2]!,
      segmentId: f.rel[3]!,
      file: f.rel[4]!,
      bytes: statSync(f.path).size,
      sha256: sha256File(f.path),
    }));
}
