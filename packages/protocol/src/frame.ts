/**
 * Frames: one WebSocket binary message carries exactly one frame.
 *
 * Request frame (big-endian):
 *   0  int16  apiKey
 *   2  int16  apiVersion
 *   4  int32  correlationId   chosen by the client, echoed in the response
 *   8  int16  clientIdLength  -1 = no client id
 *  10  bytes  clientId        UTF-8
 *   .  bytes  body            the API's request message (protobuf)
 *
 * Response frame:
 *   0  int32  correlationId
 *   4  int16  errorCode       0: body is the API's response message; otherwise the request failed
 *                             as a whole and body is an ErrorResponse message
 *   6  bytes  body
 *
 * Push frame (broker to client, unasked): a response frame with correlationId -1
 * (PUSH_CORRELATION_ID; clients never use negative ids), errorCode 0 and a Push message as body.
 * A broker pushes only what a client asked for (e.g. ConsumerGroupHeartbeat.notify_changes), so
 * older clients never see one; they would ignore it as a response matching no request anyway.
 *
 * Decoders never read outside the frame and report problems as StrataProtocolError with a code
 * from the error table: MALFORMED_FRAME, FRAME_TOO_LARGE, UNKNOWN_API_KEY, UNSUPPORTED_VERSION,
 * INVALID_REQUEST (a request body that is not valid protobuf) or CORRUPT_MESSAGE (same, response).
 */
import { apiByKey, type ApiDefinition } from './apis';
import { dataView, decodeUtf8, encodeUtf8 } from './bytes';
import { ERRORS, StrataProtocolError, type ErrorDefinition } from './errors';
import { strata, type ErrorResponse, type MessageCodec, type Push, type PushInit } from './generated/messages';
import { encodeSized } from './sized-writer';

export const REQUEST_HEADER_MIN_SIZE = 10;
/** Correlation id of push frames; request correlation ids are never negative. */
export const PUSH_CORRELATION_ID = -1;
export const RESPONSE_HEADER_SIZE = 6;
const MAX_CLIENT_ID_BYTES = 0x7fff;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface ResponseHeader {
  correlationId: number;
  errorCode: number;
}

export interface DecodedRequestFrame {
  header: RequestHeader;
  /** Encoded body, a view into the frame. */
  body: Uint8Array;
}

export interface DecodedResponseFrame extends ResponseHeader {
  body: Uint8Array;
}

function encodeRequestHeader(header: RequestHeader): Uint8Array {
  const clientId = header.clientId === null ? null : encodeUtf8(header.clientId);
  if (clientId && clientId.length > MAX_CLIENT_ID_BYTES) {
    throw new StrataProtocolError(ERRORS.INVALID_REQUEST, `client id is longer than ${MAX_CLIENT_ID_BYTES} bytes`);
  }
  const out = new Uint8Array(REQUEST_HEADER_MIN_SIZE + (clientId?.length ?? 0));
  const view = dataView(out);
  view.setInt16(0, header.apiKey);
  view.setInt16(2, header.apiVersion);
  view.setInt32(4, header.correlationId);
  view.setInt16(8, clientId === null ? -1 : clientId.length);
  if (clientId) out.set(clientId, REQUEST_HEADER_MIN_SIZE);
  return out;
}

/**
 * Encodes a request frame: header then the body message, in one exactly-sized buffer (record
 * bytes are copied once: see sized-writer.ts).
 */
export function encodeRequestFrame<Req, ReqInit>(
  api: ApiDefinition<Req, ReqInit, unknown, unknown>,
  header: Omit<RequestHeader, 'apiKey'>,
  body: ReqInit,
): Uint8Array {
  return encodeSized((writer) => api.request.encode(body, writer), encodeRequestHeader({ ...header, apiKey: api.key }));
}

/** Decodes a request frame's header; the body stays encoded. */
export function decodeRequestFrame(frame: Uint8Array, maxFrameBytes = Number.MAX_SAFE_INTEGER): DecodedRequestFrame {
  if (frame.length > maxFrameBytes) {
    throw new StrataProtocolError(ERRORS.FRAME_TOO_LARGE, `frame of ${frame.length} bytes exceeds the limit of ${maxFrameBytes}`);
  }
  if (frame.length < REQUEST_HEADER_MIN_SIZE) {
    throw new StrataProtocolError(ERRORS.MALFORMED_FRAME, `request frame of ${frame.length} bytes is shorter than its ${REQUEST_HEADER_MIN_SIZE}-byte header`);
  }
  const view = dataView(frame);
  const clientIdLength = view.getInt16(8);
  if (clientIdLength < -1 || REQUEST_HEADER_MIN_SIZE + Math.max(0, clientIdLength) > frame.length) {
    throw new StrataProtocolError(ERRORS.MALFORMED_FRAME, `client id length ${clientIdLength} does not fit the frame`, 8);
  }
  let clientId: string | null = null;
  if (clientIdLength >= 0) {
    try {
      clientId = decodeUtf8(frame.subarray(REQUEST_HEADER_MIN_SIZE, REQUEST_HEADER_MIN_SIZE + clientIdLength));
    } catch {
      throw new StrataProtocolError(ERRORS.MALFORMED_FRAME, 'client id is not valid UTF-8', REQUEST_HEADER_MIN_SIZE);
    }
  }
  return {
    header: {
      apiKey: view.getInt16(0),
      apiVersion: view.getInt16(2),
      correlationId: view.getInt32(4),
      clientId,
    },
    body: frame.subarray(REQUEST_HEADER_MIN_SIZE + Math.max(0, clientIdLength)),
  };
}

/**
 * Looks up the API of a request header and checks its version. Throws UNKNOWN_API_KEY or
 * UNSUPPORTED_VERSION.
 */
export function resolveApi(header: Pick<RequestHeader, 'apiKey' | 'apiVersion'>): ApiDefinition {
  const api = apiByKey(header.apiKey);
  if (!api) throw new StrataProtocolError(ERRORS.UNKNOWN_API_KEY, `unknown API key ${header.apiKey}`);
  if (header.apiVersion < api.minVersion || header.apiVersion > api.maxVersion) {
    throw new StrataProtocolError(
      ERRORS.UNSUPPORTED_VERSION,
      `${api.name} version ${header.apiVersion} is not supported (supported: ${api.minVersion}-${api.maxVersion})`,
    );
  }
  return api;
}

/** Decodes a protobuf body, turning any decoder failure into a typed error. */
export function decodeMessage<T>(codec: MessageCodec<T, unknown>, bytes: Uint8Array, errorDef: ErrorDefinition = ERRORS.INVALID_REQUEST): T {
  try {
    return codec.decode(bytes);
  } catch (cause) {
    throw new StrataProtocolError(errorDef, `malformed message body: ${(cause as Error).message}`);
  }
}

function responseHeader(correlationId: number, errorCode: number): Uint8Array {
  const out = new Uint8Array(RESPONSE_HEADER_SIZE);
  const view = dataView(out);
  view.setInt32(0, correlationId);
  view.setInt16(4, errorCode);
  return out;
}

/**
 * Encodes a successful response frame (one exactly-sized buffer, as requests), from `alloc` when
 * given (a pool of reusable buffers: the broker's fetch responses).
 */
export function encodeResponseFrame<Res, ResInit>(
  api: ApiDefinition<unknown, unknown, Res, ResInit>,
  correlationId: number,
  body: ResInit,
  alloc?: (size: number) => Uint8Array,
): Uint8Array {
  return encodeSized((writer) => api.response.encode(body, writer), responseHeader(correlationId, 0), alloc);
}

/** Encodes a response frame for a request that failed as a whole. */
export function encodeErrorResponseFrame(correlationId: number, errorCode: number, message: string): Uint8Array {
  return encodeSized((writer) => strata.v1.ErrorResponse.encode({ errorCode, message }, writer), responseHeader(correlationId, errorCode));
}

export function decodeResponseFrame(frame: Uint8Array): DecodedResponseFrame {
  if (frame.length < RESPONSE_HEADER_SIZE) {
    throw new StrataProtocolError(ERRORS.MALFORMED_FRAME, `response frame of ${frame.length} bytes is shorter than its ${RESPONSE_HEADER_SIZE}-byte header`);
  }
  const view = dataView(frame);
  return { correlationId: view.getInt32(0), errorCode: view.getInt16(4), body: frame.subarray(RESPONSE_HEADER_SIZE) };
}

/** Decodes the ErrorResponse body of a failed response frame. */
export function decodeErrorResponse(body: Uint8Array): ErrorResponse {
  return decodeMessage(strata.v1.ErrorResponse, body, ERRORS.CORRUPT_MESSAGE);
}

/** Encodes a push frame (broker to client, unasked). */
export function encodePushFrame(push: PushInit): Uint8Array {
  return encodeSized((writer) => strata.v1.Push.encode(push, writer), responseHeader(PUSH_CORRELATION_ID, 0));
}

/** Decodes the Push body of a frame whose correlation id is PUSH_CORRELATION_ID. */
export function decodePush(body: Uint8Array): Push {
  return decodeMessage(strata.v1.Push, body, ERRORS.CORRUPT_MESSAGE);
}
