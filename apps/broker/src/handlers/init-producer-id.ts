/**
 * InitProducerId: gives an idempotent producer its id and epoch. Transactions are not supported
 * yet: a transactional id is refused.
 */
import { Apis, ERRORS } from '@strata/protocol';
import type { ProducerIdManager } from '../producer-ids';
import { handler, type RequestHandler } from '../server/handler';

export function initProducerIdHandler(ids: ProducerIdManager): RequestHandler {
  return handler<'InitProducerId'>(Apis.InitProducerId, async (_ctx, req) => {
    if (req.transactionalId) {
      return { errorCode: ERRORS.INVALID_REQUEST.code, errorMessage: 'transactions are not supported by this broker', producerId: -1, producerEpoch: -1 };
    }
    try {
      const r = req.producerId >= 0 ? await ids.bump(req.producerId, req.producerEpoch) : await ids.newProducer();
      return { errorCode: 0, ...r };
    } catch (e) {
      // Reserving a block of ids writes a file (or, in a cluster, talks to etcd): retriable.
      return { errorCode: ERRORS.KAFKA_STORAGE_ERROR.code, errorMessage: `cannot allocate a producer id: ${(e as Error).message}`, producerId: -1, producerEpoch: -1 };
    }
  });
}
