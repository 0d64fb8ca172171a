/**
 * Entry point of a client process (forked by the harness with an IPC channel): argv[2] is its
 * ClientSpec as JSON. It sends `ready` once its component is constructed, runs its role until the
 * harness sends `stop` (or, for the final reader, until it is done), answers `probe` requests
 * (producers), and sends `done` with its counts before exiting. The history file is written as it
 * goes, so a process that dies still leaves what it did.
 */
import { ClientRuntime } from './client-runtime';
import type { ClientSpec, FromClient, ToClient } from './client-spec';
import { AssignConsumerWorker, GroupConsumerWorker, OffsetsMonitor } from './consumer-workers';
import { FinalReader } from './final-reader';
import { ProducerWorker } from './producer-worker';

function send(message: FromClient, then?: () => void): void {
  if (process.send && process.connected) process.send(message, undefined, {}, () => then?.());
  else then?.();
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ClientSpec; // written by the harness (workload/clients.ts)
  const rt = new ClientRuntime(spec);
  let worker: ProducerWorker | AssignConsumerWorker | GroupConsumerWorker | OffsetsMonitor | FinalReader;
  switch (spec.role) {
    case 'producer':
      worker = new ProducerWorker(rt);
      break;
    case 'assign-consumer':
      worker = new AssignConsumerWorker(rt);
      break;
    case 'group-consumer':
      worker = new GroupConsumerWorker(rt);
      break;
    case 'offsets-monitor':
      worker = new OffsetsMonitor(rt);
      break;
    case 'final-reader':
      worker = new FinalReader(rt);
      break;
    default:
      throw new Error(`unknown client role ${String(spec.role)}`);
  }
  process.on('message', (message: ToClient) => {
    if (message.type === 'stop') rt.requestStop();
    else if (message.type === 'probe') {
      if (!(worker instanceof ProducerWorker)) send({ type: 'probed', id: message.id, ok: false, ms: 0, error: `${spec.name} is not a producer` });
      else void worker.probe(message.partition, message.isr).then((r) => send({ type: 'probed', id: message.id, ...r }));
    }
  });
  process.on('disconnect', () => rt.requestStop()); // the harness went away
  send({ type: 'ready' });
  await worker.run();
  rt.history.close();
  // Exit once the message is out, even if a socket of the SDK lingers.
  send({ type: 'done', summary: worker.summary }, () => process.exit(0));
}

main().catch((e: unknown) => {
  send({ type: 'crashed', error: (e as Error).stack ?? String(e) }, () => process.exit(1));
});
