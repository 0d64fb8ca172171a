/**
 * @strata/protocol — the Strata wire: frames, API table, protobuf messages, error codes and the
 * record-batch codec. No sockets and no files: it runs unchanged in Node and in browsers.
 */
export * from './errors';
export * from './bytes';
export * from './crc32c';
export * from './record-batch';
export * from './record-batch-builder';
export * from './record-validation';
export * from './apis';
export * from './frame';
export * from './limits';
export * from './scram';
export type * from './generated/messages';
export { strata } from './generated/messages';
