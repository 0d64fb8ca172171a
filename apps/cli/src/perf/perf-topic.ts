/** The topic a perf run uses: created with `partitions` partitions when it does not exist yet. */
import { ERRORS, StrataError, type Admin } from '@strata/client';

/** Creates `topic` if missing; returns its partition count. */
export async function ensureTopic(admin: Admin, topic: string, partitions: number | undefined): Promise<number> {
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions ?? 1 }] });
  } catch (error) {
    if (!(error instanceof StrataError) || error.errorCode !== ERRORS.TOPIC_ALREADY_EXISTS.code) throw error;
  }
  const [described] = (await admin.describeTopics({ topics: [topic] })).topics;
  const count = described?.partitions.length ?? 0;
  if (count === 0) throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" has no partitions`);
  return count;
}

/** Sleeps `ms` unless `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
