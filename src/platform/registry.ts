// The platforms firedrill can drill, what each can do, and how to load its driver. A new platform
// is one entry here and one class implementing src/platform/platform.ts.
import { UserError } from '../util/errors.ts';
import { own, ownNames } from '../util/own.ts';
import type { Capability, Platform, PlatformKind, PlatformRef } from './platform.ts';

interface PlatformEntry {
  capabilities: readonly Capability[];
  /** The system actions this platform offers, per component (the `actions` capability). */
  actions(component: string): Promise<readonly string[]>;
  /** Loads the driver on first use: the Kubernetes client library stays out of sandbox runs. */
  load(): Promise<(ref: PlatformRef) => Platform>;
}

const registry: Record<PlatformKind, PlatformEntry> = {
  local: {
    capabilities: ['kill', 'restart', 'describe', 'actions'],
    // The sandbox drivers' own tables: nothing to keep in step by hand.
    actions: async (component) => {
      const { drivers } = await import('./local/components/index.ts');
      return Object.keys(own(drivers, component)?.actions ?? {});
    },
    load: async () => {
      const { LocalPlatform } = await import('./local/platform.ts');
      return (ref) => new LocalPlatform(ref.sandbox ?? 'default');
    },
  },
  kubernetes: {
    capabilities: ['kill', 'restart', 'describe', 'self-healing'],
    actions: async () => [],
    load: async () => {
      const { KubernetesPlatform } = await import('./kubernetes/platform.ts');
      return (ref) => new KubernetesPlatform(ref);
    },
  },
};

export function platformEntry(kind: string): PlatformEntry {
  const entry = own(registry, kind);
  if (!entry)
    throw new UserError(
      `platform "${kind}" is not available in this build`,
      `use --platform ${ownNames(registry)}`,
    );
  return entry;
}

export const platformKinds = (): PlatformKind[] => Object.keys(registry) as PlatformKind[];

const loaded = new Map<string, (ref: PlatformRef) => Platform>();

/** Loads the platform's driver (once per process); platformFor() may be called after it. */
export async function loadPlatformDriver(ref: PlatformRef): Promise<void> {
  if (!loaded.has(ref.kind)) loaded.set(ref.kind, await platformEntry(ref.kind).load());
}

export function platformFor(ref: PlatformRef): Platform {
  const make = loaded.get(ref.kind);
  if (!make) {
    platformEntry(ref.kind); // an unknown kind is the user's mistake, named as such
    throw new Error(`the ${ref.kind} driver is not loaded: await loadPlatformDriver(ref) first`);
  }
  return make(ref);
}
