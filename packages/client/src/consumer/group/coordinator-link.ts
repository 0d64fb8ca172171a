/**
 * The route to a group's coordinator: FindCoordinator (asked of any broker) names its node, and
 * every group request for the group goes to that node's connection. The answer is cached until a
 * request fails in a way that says the coordinator moved or is unreachable (a lost connection, a
 * timeout, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE): then the next request asks again.
 *
 * It does not retry: callers (heartbeats, commits, offset lookups) each have their own policy.
 * Concurrent lookups share one FindCoordinator request. Single-threaded.
 */
import { ERRORS, StrataError, errorFromCode, type ApiName, type Push, type RequestInitOf, type ResponseOf } from '@strata/protocol';
import type { Cluster } from '../../cluster/cluster';
import { StrataConnectionError, StrataRequestTimeoutError } from '../../errors';
import type { BrokerConnection } from '../../network/broker-connection';
import type { RequestOptions } from '../../network/connection';

/** Errors after which the coordinator must be looked up again. */
const MOVED = new Set<number>([ERRORS.NOT_COORDINATOR.code, ERRORS.COORDINATOR_NOT_AVAILABLE.code]);

export class CoordinatorLink {
  private coordinator: Promise<BrokerConnection> | null = null;
  private lastNodeId = -1;

  constructor(
    private readonly cluster: Cluster,
    readonly groupId: string,
  ) {}

  /** Sends a request to the coordinator; forgets the coordinator when the connection failed. */
  async request<N extends ApiName>(name: N, body: RequestInitOf<N>, options?: RequestOptions): Promise<ResponseOf<N>> {
    const broker = await this.find();
    try {
      return await broker.request(name, body, options);
    } catch (error) {
      if (error instanceof StrataConnectionError || error instanceof StrataRequestTimeoutError) this.forget();
      throw error;
    }
  }

  /** Calls `fn` with every push frame from any broker (the coordinator's GroupChanged among them). */
  onPush(fn: (push: Push) => void): () => void {
    return this.cluster.onPush(fn);
  }

  /** Looks the coordinator up again on the next request when `errorCode` says it moved. */
  noteError(errorCode: number): void {
    if (MOVED.has(errorCode)) this.forget();
  }

  /** The node id FindCoordinator last named (-1 before the first lookup). */
  get nodeId(): number {
    return this.lastNodeId;
  }

  forget(): void {
    this.coordinator = null;
  }

  private find(): Promise<BrokerConnection> {
    if (!this.coordinator) {
      const lookup = this.lookup();
      this.coordinator = lookup;
      lookup.catch(() => {
        if (this.coordinator === lookup) this.coordinator = null;
      });
    }
    return this.coordinator;
  }

  private async lookup(): Promise<BrokerConnection> {
    const response = await this.cluster.requestAny('FindCoordinator', { keyType: 0, keys: [this.groupId] });
    const found = response.coordinators.find((c) => c.key === this.groupId) ?? response.coordinators[0];
    if (!found) throw new StrataError(ERRORS.COORDINATOR_NOT_AVAILABLE, `no coordinator found for group "${this.groupId}"`);
    if (found.errorCode !== 0) throw errorFromCode(found.errorCode, found.errorMessage || undefined);
    this.lastNodeId = found.nodeId;
    try {
      return this.cluster.broker(found.nodeId);
    } catch {
      // Node ids map to URLs through metadata, which this component may not have fetched yet.
      await this.cluster.refreshMetadata([]);
      return this.cluster.broker(found.nodeId);
    }
  }
}
