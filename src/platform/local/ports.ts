// Loopback ports for the sandbox. Chosen free at `up` (or from an explicit base, for people who
// need stable numbers), and always checked: a taken port is refused before anything starts.
import { createServer } from 'node:net';
import { UserError } from '../../util/errors.ts';

export const HOST = '127.0.0.1';

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Hands out distinct free loopback ports, each labelled so a conflict can name its owner. */
export class PortAllocator {
  private readonly taken = new Map<number, string>();
  private next: number | undefined;
  private cursor: number | undefined;

  constructor(base?: number) {
    this.next = base;
  }

  async allocate(label: string): Promise<number> {
    if (this.next !== undefined) {
      const port = this.next++;
      if (!(await isPortFree(port))) {
        throw new UserError(
          `port ${port} (for ${label}) is already in use on ${HOST}`,
          'stop whatever holds it (e.g. `ss -ltnp`) or choose another --port-base',
        );
      }
      this.taken.set(port, label);
      return port;
    }
    // Below the kernel's ephemeral range (32768+), so an outgoing connection cannot grab a port
    // between choosing it here and the server binding it.
    this.cursor ??= 20_000 + Math.floor(Math.random() * 10_000);
    for (let attempt = 0; attempt < 500; attempt++) {
      const port = this.cursor++;
      if (!this.taken.has(port) && (await isPortFree(port))) {
        this.taken.set(port, label);
        return port;
      }
    }
    throw new Error(`could not find a free loopback port for ${label}`);
  }
}
