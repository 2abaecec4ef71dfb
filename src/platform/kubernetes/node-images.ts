// The images the real test node runs, built at setup by deploy/images/build.sh (no registry, no
// container engine) into the cache as OCI archives named by their recipe's hash. The hash is
// computed here exactly as build.sh does, so a recipe edited since the last setup is refused
// (naming the fix) instead of silently running the old image.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../topology/load.ts';
import { UserError } from '../../util/errors.ts';
import { cacheRoot } from '../local/toolchain.ts';

export const IMAGES_DIR = join(REPO_ROOT, 'deploy', 'images');

export interface NodeImage {
  name: string;
  /** The reference pods use, e.g. localhost/firedrill/redis:7.0-bookworm. */
  ref: string;
  archive: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** build.sh's recipe_hash: "path sha256\n" for build.sh and each recipe file (C-sorted), hashed. */
export function recipeHash(name: string, imagesDir = IMAGES_DIR): string {
  const rel = filesUnder(join(imagesDir, name))
    .map((f) => relative(imagesDir, f))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = ['build.sh', ...rel]
    .map((f) => `${f} ${sha256(readFileSync(join(imagesDir, f)))}\n`)
    .join('');
  return sha256(lines + '').slice(0, 16);
}

export function imageRef(name: string, imagesDir = IMAGES_DIR): string {
  const env = readFileSync(join(imagesDir, name, 'image.env'), 'utf8');
  const m = /^IMAGE_REF=(\S+)$/m.exec(env);
  if (!m) throw new Error(`deploy/images/${name}/image.env sets no IMAGE_REF`);
  return m[1]!;
}

/** The archive for the recipe as it is now; refuses, naming the fix, when setup has not built it. */
export function requireNodeImage(name: string): NodeImage {
  if (!existsSync(join(IMAGES_DIR, name, 'image.env')))
    throw new UserError(`no image recipe deploy/images/${name}`);
  const archive = join(cacheRoot(), 'images', `${name}-${recipeHash(name)}.tar`);
  if (!existsSync(archive))
    throw new UserError(
      `image ${name} is not built for its current recipe (no ${archive})`,
      'run `npx firedrill setup --with k8s` (builds the node images from deploy/images without a registry)',
    );
  return { name, ref: imageRef(name), archive };
}
