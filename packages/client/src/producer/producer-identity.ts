/**
 * ProducerIdentity: the idempotent producer's id and epoch, from InitProducerId. A new epoch
 * (sent with the current id and epoch) fences nothing else here (no transactional ids) but lets
 * every partition start again at sequence 0 after the producer lost track of what the broker holds.
 * Single-threaded; one per producer.
 */
import { errorFromCode } from '@strata/protocol';
import type { Cluster } from '../cluster/cluster';

export class ProducerIdentity {
  producerId = -1;
  producerEpoch = -1;

  constructor(private readonly cluster: Cluster) {}

  get isSet(): boolean {
    return this.producerId >= 0;
  }

  /** Gets a new id (epoch 0). */
  async init(): Promise<void> {
    await this.request(-1, -1);
  }

  /** Moves to the next epoch of the current id (or a new id when its epochs ran out). */
  async bump(): Promise<void> {
    await this.request(this.producerId, this.producerEpoch);
  }

  private async request(producerId: number, producerEpoch: number): Promise<void> {
    const res = await this.cluster.requestAny('InitProducerId', { producerId, producerEpoch });
    if (res.errorCode !== 0) throw errorFromCode(res.errorCode, res.errorMessage || undefined);
    this.producerId = res.producerId;
    this.producerEpoch = res.producerEpoch;
  }
}
