// The drill catalogue: every file in drills/ is a drill. Adding one touches no engine code.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadTopology, REPO_ROOT } from '../topology/load.ts';
import { UserError } from '../util/errors.ts';
import type { DrillDefinition } from './definition.ts';
import { validateDefinition } from './validate.ts';

export const DRILLS_DIR = join(REPO_ROOT, 'drills');

let loaded: Map<string, DrillDefinition> | undefined;

export async function loadCatalogue(dir = DRILLS_DIR): Promise<Map<string, DrillDefinition>> {
  if (loaded && dir === DRILLS_DIR) return loaded;
  const topology = loadTopology();
  const out = new Map<string, DrillDefinition>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default?: DrillDefinition };
    if (!mod.default)
      throw new UserError(
        `drill file drills/${file} has no default export`,
        'export default defineDrill({...})',
      );
    validateDefinition(mod.default, `drills/${file}`, topology);
    if (out.has(mod.default.name))
      throw new UserError(`two drill files are named "${mod.default.name}"`, 'give each drill its own name');
    out.set(mod.default.name, mod.default);
  }
  if (dir === DRILLS_DIR) loaded = out;
  return out;
}

export async function getDrill(name: string): Promise<DrillDefinition> {
  const catalogue = await loadCatalogue();
  const drill = catalogue.get(name);
  if (!drill)
    throw new UserError(`unknown drill "${name}"`, `choose one of: ${[...catalogue.keys()].join(', ')}`);
  return drill;
}
