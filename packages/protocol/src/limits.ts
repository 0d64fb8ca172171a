/**
 * Size limits both ends enforce. The broker announces its own values in the ApiVersions response;
 * these are the defaults.
 */

/** Largest frame (one WebSocket message) accepted: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Largest record batch accepted (Kafka's message.max.bytes default): 1 MiB + 12 bytes. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024 + 12;

/** Topic names: 1 to 249 characters from [a-zA-Z0-9._-], and not "." or "..", as in Kafka. */
export const TOPIC_NAME_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/** Throws nothing; says why a topic name is invalid, or returns null when it is valid. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name.length > 249) return `topic name is ${name.length} characters long; the limit is 249`;
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (!TOPIC_NAME_PATTERN.test(name)) return `topic name "${name}" has characters outside [a-zA-Z0-9._-]`;
  return null;
}

/** Special timestamps of ListOffsets. */
export const OffsetSpec = {
  LATEST: -1,
  EARLIEST: -2,
} as const;
