/**
 * Self-checking record values: `<topic>|<partition>|<key>|<seq>|<checksum>|<padding>`. Any record
 * read back must parse and carry a matching checksum, so a corrupt or foreign record is caught
 * even when it was never acknowledged.
 */
export interface ParsedValue {
  topic: string;
  partition: number;
  key: string;
  seq: number;
}

function checksum(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16);
}

export function makeValue(v: ParsedValue, padding: number): string {
  const head = `${v.topic}|${v.partition}|${v.key}|${v.seq}`;
  return `${head}|${checksum(head)}|${'p'.repeat(padding)}`;
}

/** The parsed value, or null when it is not a well-formed harness record. */
export function parseValue(value: string): ParsedValue | null {
  const parts = value.split('|');
  if (parts.length !== 6) return null;
  const [topic, partition, key, seq, sum] = parts as [string, string, string, string, string];
  if (checksum(`${topic}|${partition}|${key}|${seq}`) !== sum) return null;
  return { topic, partition: Number(partition), key, seq: Number(seq) };
}
