// The part of a run's folder a drill may see (DrillEnv.evidence): its own JSON documents, the
// timeline, when the run began and whether the ledger still writes. The engine's files stay its own.
import { statSync } from 'node:fs';
import type { RunEvidence } from '../drill/definition.ts';
import { UserError } from '../util/errors.ts';
import type { RunFiles } from './run-files.ts';

// What the engine writes in a run's folder: a drill must not overwrite (or fake) any of it.
const ENGINE_FILES = new Set(['plan.json', 'started.json', 'fault.json', 'verify.json', 'result.json']);
const DRILL_NAME = /^[a-z0-9][a-z0-9-]{0,60}\.json$/;

export function checkEvidenceName(name: string): string {
  if (!DRILL_NAME.test(name) || ENGINE_FILES.has(name))
    throw new UserError(
      `evidence name "${name}" is not a drill's own`,
      `name it lower-case-words.json, not one of the engine's files (${[...ENGINE_FILES].join(', ')})`,
    );
  return name;
}

export function runEvidence(files: RunFiles): RunEvidence {
  return {
    read: <T>(name: string) => files.readJson<T>(checkEvidenceName(name)),
    write: (name, value) => files.writeJson(checkEvidenceName(name), value),
    markers: () => files.markers(),
    startedAt: () => files.readJson<{ at: number }>('started.json')?.at,
    ledgerBytes: () => {
      try {
        return statSync(files.ledgerFile).size;
      } catch {
        return 0; // not started yet
      }
    },
  };
}
