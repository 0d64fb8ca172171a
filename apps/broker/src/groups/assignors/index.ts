export { AssignorRegistry, orderedMembers, type AssignmentMember, type AssignmentSpec, type GroupAssignment, type PartitionAssignor } from './assignor';
import { AssignorRegistry } from './assignor';
import { RangeAssignor } from './range-assignor';
import { RoundRobinAssignor } from './round-robin-assignor';
import { StickyAssignor } from './sticky-assignor';

export { RangeAssignor, RoundRobinAssignor, StickyAssignor };

/** The assignors every broker offers: range, round-robin and sticky. */
export function builtInAssignors(): AssignorRegistry {
  return new AssignorRegistry([new RangeAssignor(), new RoundRobinAssignor(), new StickyAssignor()]);
}
