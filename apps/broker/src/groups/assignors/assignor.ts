/**
 * Server-side partition assignors. The coordinator calls `assign` whenever the group epoch moves
 * (membership, subscriptions or subscribed topics changed) and stores the result as the group's
 * target assignment; reconciliation then moves members towards it, revoking before assigning.
 *
 * Contract: `assign` is a pure function of its input (same input, same output), returns an entry
 * for every member (possibly empty), gives each partition of a topic some member subscribes to to
 * exactly one subscribed member, and never gives a member a topic it does not subscribe to.
 */
import type { TpKey } from '../topic-partitions';

export interface AssignmentMember {
  readonly memberId: string;
  /** Static instance id, or "" for a dynamic member. */
  readonly instanceId: string;
  /** Existing topics the member subscribes to. */
  readonly topics: ReadonlySet<string>;
  /** The member's previous target assignment: what sticky assignors try to keep. */
  readonly current: ReadonlySet<TpKey>;
}

export interface AssignmentSpec {
  readonly members: readonly AssignmentMember[];
  /** Partition count of every topic at least one member subscribes to. */
  readonly partitions: ReadonlyMap<string, number>;
}

export type GroupAssignment = Map<string, Set<TpKey>>;

export interface PartitionAssignor {
  readonly name: string;
  assign(spec: AssignmentSpec): GroupAssignment;
}

/**
 * Members in a stable order: static members by instance id (so a restarted static member keeps
 * its place), then dynamic ones by member id.
 */
export function orderedMembers(members: readonly AssignmentMember[]): AssignmentMember[] {
  const key = (m: AssignmentMember) => (m.instanceId ? `0${m.instanceId}` : `1${m.memberId}`);
  return [...members].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function emptyAssignment(members: readonly AssignmentMember[]): GroupAssignment {
  return new Map(members.map((m) => [m.memberId, new Set<TpKey>()]));
}

/** The assignors a broker offers, by name. */
export class AssignorRegistry {
  private readonly byName = new Map<string, PartitionAssignor>();

  constructor(assignors: readonly PartitionAssignor[] = []) {
    for (const a of assignors) this.register(a);
  }

  register(assignor: PartitionAssignor): void {
    this.byName.set(assignor.name, assignor);
  }

  get(name: string): PartitionAssignor | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
