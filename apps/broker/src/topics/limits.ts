/** Limits on topics shared by the topic manager (one broker) and the controller (a cluster). */

/** Most partitions one topic may have. */
export const MAX_PARTITIONS = 10000;
/** Names starting with this are reserved for internal topics such as `__consumer_offsets`. */
export const INTERNAL_PREFIX = '__';
