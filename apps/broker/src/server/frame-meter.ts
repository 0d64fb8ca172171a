/**
 * FrameMeter: follows the WebSocket frame headers (RFC 6455 §5.2) in the raw bytes of one client
 * socket, so the broker knows the size of every incoming message from its header, before its
 * payload is buffered. `ws` parses the same bytes and delivers whole messages; the meter only
 * counts. It sees each chunk before `ws` does (a prepended 'data' listener), so a message's size
 * is known before `ws` can emit it.
 *
 * Events:
 * - onDataFrame(payloadBytes, first): a data frame (opcode 0, 1 or 2) header has been read; `first`
 *   is true for the first frame of a message (not a continuation);
 * - onMessageEnd(): the last frame of a message (FIN set) has arrived whole.
 * Control frames (ping, pong, close: at most 125 bytes each) are skipped.
 *
 * `partialBytes` is what the socket has delivered of the message in progress (header bytes
 * included). After an invalid header the meter stops counting: `ws` closes the connection.
 * Not thread-safe; one meter per socket.
 */

export interface FrameMeterEvents {
  onDataFrame(payloadBytes: number, first: boolean): void;
  onMessageEnd(): void;
}

const MAX_HEADER = 14;

export class FrameMeter {
  private readonly header = new Uint8Array(MAX_HEADER);
  private headerHave = 0;
  /** Payload bytes still to skip in the current frame; -1 while reading a header. */
  private payloadLeft = -1;
  private frameIsData = false;
  private frameFin = false;
  private inMessage = false;
  private broken = false;
  private partial = 0;

  constructor(private readonly events: FrameMeterEvents) {}

  /** Bytes received of the data message in progress (0 between messages). */
  get partialBytes(): number {
    return this.partial;
  }

  /** True between the first byte of a data message and its end. */
  get messageInProgress(): boolean {
    return this.partial > 0;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && !this.broken) {
      if (this.payloadLeft < 0) {
        this.header[this.headerHave++] = chunk[i++]!;
        this.partial++;
        const need = this.headerLength();
        if (need < 0 || this.headerHave < need) continue;
        this.startFrame(need);
      } else {
        const take = Math.min(this.payloadLeft, chunk.length - i);
        i += take;
        this.payloadLeft -= take;
        if (this.frameIsData) this.partial += take;
      }
      if (this.payloadLeft === 0) this.endFrame();
    }
  }

  /** Length of the header being read, or -1 while its first two bytes are not in. */
  private headerLength(): number {
    if (this.headerHave < 2) return -1;
    const len7 = this.header[1]! & 0x7f;
    const masked = (this.header[1]! & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  private startFrame(headerBytes: number): void {
    const opcode = this.header[0]! & 0x0f;
    const len7 = this.header[1]! & 0x7f;
    let payload = len7;
    if (len7 === 126) payload = (this.header[2]! << 8) | this.header[3]!;
    else if (len7 === 127) {
      const high = ((this.header[2]! << 24) >>> 0) + (this.header[3]! << 16) + (this.header[4]! << 8) + this.header[5]!;
      const low = ((this.header[6]! << 24) >>> 0) + (this.header[7]! << 16) + (this.header[8]! << 8) + this.header[9]!;
      if (high > 0x1fffff) {
        this.broken = true; // beyond 2^53: ws refuses it
        return;
      }
      payload = high * 2 ** 32 + low;
    }
    this.headerHave = 0;
    this.payloadLeft = payload;
    this.frameFin = (this.header[0]! & 0x80) !== 0;
    this.frameIsData = opcode < 0x08;
    if (!this.frameIsData) {
      this.partial -= headerBytes; // a control frame's bytes are not the message's
      return;
    }
    const first = !this.inMessage;
    this.inMessage = true;
    this.events.onDataFrame(payload, first);
  }

  private endFrame(): void {
    this.payloadLeft = -1;
    if (this.frameIsData && this.frameFin) {
      this.inMessage = false;
      this.partial = 0;
      this.events.onMessageEnd();
    }
  }
}
