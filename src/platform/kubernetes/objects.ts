// Kubernetes objects as plain data, and the API server's refusals: no client library here, so
// the plan, the diff and the CLI can use them without loading @kubernetes/client-node.

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export const refOf = (o: KubeObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  namespace: o.metadata.namespace,
});
export const describeRef = (r: ObjectRef): string =>
  `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

/** An answer of the API server other than 2xx, with its own message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly serverMessage: string,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what}: ${status} ${reason}: ${serverMessage}`);
    this.name = 'KubeApiError';
  }
}
