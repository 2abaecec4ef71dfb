// Redis's persistence as the topology model declares it (deploy/k8s/20-data.yaml, the redis
// container's args): what the sandbox configures and what the drill holds the running server to.
import { loadTopology } from '../../topology/load.ts';
import { component } from '../../topology/model.ts';
import { directivesFromArgs, persistenceOf, splitDirectives, type Persistence } from './config.ts';
import { COMPONENT } from './client.ts';

export function modelPersistence(): { args: string[]; persistence: Persistence } {
  const args = component(loadTopology(), COMPONENT).args;
  return { args, persistence: persistenceOf(splitDirectives(directivesFromArgs(args)).kept) };
}
