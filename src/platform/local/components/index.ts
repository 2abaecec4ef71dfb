import type { ComponentDriver, ComponentName } from '../types.ts';
import { kafka } from './kafka.ts';
import { temporal } from './temporal.ts';

export const drivers: Record<ComponentName, ComponentDriver> = {
  kafka,
  temporal,
} as Record<ComponentName, ComponentDriver>;
