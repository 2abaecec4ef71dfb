import type { ComponentDriver } from '../types.ts';
export const milvus = { name: 'milvus' } as unknown as ComponentDriver;
