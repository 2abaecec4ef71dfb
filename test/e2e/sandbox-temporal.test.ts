// The Temporal dev server in the sandbox runs a workflow on a real worker; it is killed (the
// client sees it), restarted on the same SQLite file, and the running workflow carries on.
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { useSandbox } from './sandbox-harness.ts';
import { finish, helloWorkflow } from './fixtures/hello-workflow.ts';

const sb = useSandbox('e2e-temporal', ['temporal']);

describe('sandbox: temporal', () => {
  it('runs a workflow on a real worker, and the workflow survives a server restart', async () => {
    const address = sb.get().endpoints().temporal!.address!;
    const taskQueue = `e2e-${Date.now()}`;
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./fixtures/hello-workflow.ts', import.meta.url)),
    });
    const running = worker.run();

    let connection = await Connection.connect({ address });
    let client = new Client({ connection });
    const handle = await client.workflow.start(helloWorkflow, {
      taskQueue,
      workflowId: `hello-${taskQueue}`,
      args: ['sandbox'],
    });
    await client.workflow.getHandle(handle.workflowId).query('__stack_trace'); // a worker has it

    await sb.get().kill('temporal');
    await expect(client.workflow.getHandle(handle.workflowId).describe()).rejects.toThrow();
    await connection.close();

    expect(await sb.get().restart('temporal')).toEqual(['temporal-0']);
    connection = await Connection.connect({ address });
    client = new Client({ connection });
    const again = client.workflow.getHandle(handle.workflowId);
    expect((await again.describe()).status.name).toBe('RUNNING'); // kept in the SQLite file
    await again.signal(finish, 'the test');
    expect(await again.result()).toBe('hello sandbox, finished by the test');

    worker.shutdown();
    await running;
    await connection.close();
  });
});
