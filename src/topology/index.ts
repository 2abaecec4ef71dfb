export * from './duration.ts';
export * from './model.ts';
export * from './parse.ts';
export * from './load.ts';
