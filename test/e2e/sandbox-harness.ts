// One real sandbox per test file: booted in beforeAll, torn down in afterAll, with a name of its
// own so files never share processes by accident.
import { afterAll, beforeAll } from 'vitest';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import type { ComponentName } from '../../src/platform/local/types.ts';

export function useSandbox(name: string, only: ComponentName[]): { get: () => Sandbox } {
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    if (Sandbox.exists({ name })) await Sandbox.open({ name }).down(); // left over from a crashed run
    sandbox = await Sandbox.up({ name, only, log: (m) => console.log(`[sandbox ${name}] ${m}`) });
  });
  afterAll(async () => {
    await sandbox?.down();
  });
  return {
    get: () => {
      if (!sandbox) throw new Error('sandbox did not start');
      return sandbox;
    },
  };
}
