// What a drill needs of the platform it runs on, checked when the run is planned: a drill the
// platform cannot carry out is refused before anything starts, never at injection.
import { type PlatformRef } from '../platform/platform.ts';
import { platformEntry, platformKinds } from '../platform/registry.ts';
import { UserError } from '../util/errors.ts';
import type { DrillDefinition } from './definition.ts';

/** What is missing for `drill` on platform `kind` (empty: it can run there). */
export async function unmetRequirements(drill: DrillDefinition, kind: string): Promise<string[]> {
  const entry = platformEntry(kind);
  const missing: string[] = [];
  for (const c of drill.requires?.capabilities ?? [])
    if (!entry.capabilities.includes(c)) missing.push(`the "${c}" capability`);
  const wanted = drill.requires?.actions ?? [];
  if (wanted.length) {
    const offered = await entry.actions(drill.target.component);
    const absent = wanted.filter((a) => !offered.includes(a));
    if (absent.length) missing.push(`${drill.target.component} actions ${absent.join(', ')}`);
  }
  return missing;
}

/** The platforms a drill can run on, for listings and the game day's choice of drills. */
export async function platformsFor(drill: DrillDefinition): Promise<string[]> {
  const out: string[] = [];
  for (const kind of platformKinds()) if (!(await unmetRequirements(drill, kind)).length) out.push(kind);
  return out;
}

export async function checkPlatformSupports(drill: DrillDefinition, ref: PlatformRef): Promise<void> {
  const missing = await unmetRequirements(drill, ref.kind);
  if (!missing.length) return;
  const able = await platformsFor(drill);
  throw new UserError(
    `drill ${drill.name} needs ${missing.join(' and ')}, which the ${ref.kind} platform does not have`,
    able.length
      ? `run it with --platform ${able[0]}${able[0] === 'kubernetes' ? ' --context <name>' : ''}`
      : 'no platform of this build can run it yet',
  );
}
