export { drillWorkflow } from './drill.ts';
export { gameDayWorkflow } from './gameday.ts';
export { deployTopologyWorkflow } from './deploy.ts';
