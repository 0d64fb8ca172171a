/**
 * Entry point of the cleaner's worker thread: receives CleanTasks, answers with CleanResults.
 * Compaction's CPU and I/O run here, off the broker's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { installNativeCrc32c } from '../util/native-crc';
import { clean, type CleanTask } from './cleaner-core';

installNativeCrc32c();

parentPort?.on('message', (task: CleanTask) => {
  clean(task).then(
    (result) => parentPort?.postMessage({ ok: true, result }),
    (e: unknown) => parentPort?.postMessage({ ok: false, error: (e as Error).message }),
  );
});
