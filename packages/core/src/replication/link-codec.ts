// The WebSocket link's frame layout (DESIGN §4; byte by byte in docs/protocol.md §2).
// One binary WebSocket message is one frame. Text messages are a protocol error (the shell checks).
//
//   replica → master   a frame is exactly one RESP command     encodeReplicaFrame / decodeReplicaFrame
//                      ("\n" alone: keep-alive, an empty command)
//   master → replica   [kind:u8][payload]                      encodeMasterFrame  / decodeMasterFrame
//     0x01 REPLY           one RESP reply (+OK, +FULLRESYNC <replid> <offset>, +CONTINUE [<replid>], -ERR …)
//     0x02 SNAPSHOT_BEGIN  u64 BE: the RDB's length in bytes
//     0x03 SNAPSHOT_CHUNK  1+ RDB bytes (the RDB ends with its CRC64)
//     0x04 STREAM          u64 BE start offset (the replication offset before the first byte), then 1+ stream bytes
//     0x05 KEEPALIVE       nothing (the master is preparing a snapshot)
//
// u64 values must be below 2^53. The bytes inside (RESP, RDB) are Redis's, so a Redis stream can be
// relayed unchanged. Frames the live master sends hold whole commands; frames re-sent from the
// backlog may cut a command at any byte, and the replica joins them.
//
// Change log of the layout (bump LINK_SUBPROTOCOL on any incompatible change):
//   v1 (replicast.v1)  first version: REPLY, SNAPSHOT_BEGIN, SNAPSHOT_CHUNK, STREAM, KEEPALIVE.
//                      Replica commands as in Redis, plus `REPLCONF ACK <o> [FACK <d>] [RESEND <o>]`.
import { bytesToByteString, type ByteString } from '../bytes.ts'
import { RequestDecoder, RespDecoder } from '../resp/decoder.ts'
import { encodeCommand, encodeValue } from '../resp/encoder.ts'
import { RespProtocolError } from '../resp/errors.ts'
import type { RespLimits } from '../resp/limits.ts'
import type { RespValue } from '../resp/value.ts'
import { LinkProtocolError } from './errors.ts'
import { MAX_OFFSET, type Offset } from './offset.ts'

/** The WebSocket subprotocol (`Sec-WebSocket-Protocol`) naming this layout's version. */
export const LINK_SUBPROTOCOL = 'replicast.v1'

/** The default path of the replication WebSocket. */
export const LINK_DEFAULT_PATH = '/replication'

/** The first byte of a master → replica frame. */
export const MASTER_FRAME_KINDS = Object.freeze({
  reply: 0x01,
  snapshotBegin: 0x02,
  snapshotChunk: 0x03,
  stream: 0x04,
  keepalive: 0x05,
} as const)

/** A decoded master → replica frame. */
export type MasterMessage =
  | { readonly kind: 'reply'; readonly value: RespValue }
  | { readonly kind: 'snapshot-begin'; readonly length: number }
  | { readonly kind: 'snapshot-chunk'; readonly bytes: Uint8Array }
  | { readonly kind: 'stream'; readonly startOffset: Offset; readonly bytes: Uint8Array }
  | { readonly kind: 'keepalive' }

const U64_BYTES = 8
const TWO_32 = 2 ** 32

function writeU64(target: Uint8Array, at: number, value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be an integer in 0..2^53-1, got ${value}.`)
  const high = Math.floor(value / TWO_32)
  const low = value >>> 0
  target[at] = high >>> 24
  target[at + 1] = (high >>> 16) & 0xff
  target[at + 2] = (high >>> 8) & 0xff
  target[at + 3] = high & 0xff
  target[at + 4] = low >>> 24
  target[at + 5] = (low >>> 16) & 0xff
  target[at + 6] = (low >>> 8) & 0xff
  target[at + 7] = low & 0xff
}

function readU64(frame: Uint8Array, at: number, what: string): number {
  if (frame.length < at + U64_BYTES) {
    throw new LinkProtocolError(`${frameName(frame[0]!)} frame of ${frame.length} bytes is shorter than its ${at + U64_BYTES}-byte header (the ${what})`, frame.length)
  }
  const high = ((frame[at]! << 24) | (frame[at + 1]! << 16) | (frame[at + 2]! << 8) | frame[at + 3]!) >>> 0
  const low = ((frame[at + 4]! << 24) | (frame[at + 5]! << 16) | (frame[at + 6]! << 8) | frame[at + 7]!) >>> 0
  const value = high * TWO_32 + low
  // The maximum safe integer in JavaScript is 2^53 - 1: beyond it offsets would not be exact.
  if (high > 0x1fffff) throw new LinkProtocolError(`the ${what} (high word 0x${high.toString(16)}) is not below 2^53`, at)
  if (value > MAX_OFFSET) throw new LinkProtocolError(`the ${what} is not below 2^53`, at)
  return value
}

function frameName(kind: number): string {
  switch (kind) {
    case MASTER_FRAME_KINDS.reply: return 'REPLY'
    case MASTER_FRAME_KINDS.snapshotBegin: return 'SNAPSHOT_BEGIN'
    case MASTER_FRAME_KINDS.snapshotChunk: return 'SNAPSHOT_CHUNK'
    case MASTER_FRAME_KINDS.stream: return 'STREAM'
    case MASTER_FRAME_KINDS.keepalive: return 'KEEPALIVE'
    default: return `0x${kind.toString(16).padStart(2, '0')}`
  }
}

function withKind(kind: number, payload: Uint8Array, headerBytes = 0): Uint8Array {
  const out = new Uint8Array(1 + headerBytes + payload.length)
  out[0] = kind
  out.set(payload, 1 + headerBytes)
  return out
}

/** Encodes one master → replica frame. */
export function encodeMasterFrame(message: MasterMessage): Uint8Array {
  switch (message.kind) {
    case 'reply':
      return withKind(MASTER_FRAME_KINDS.reply, encodeValue(message.value))
    case 'snapshot-begin': {
      const out = new Uint8Array(1 + U64_BYTES)
      out[0] = MASTER_FRAME_KINDS.snapshotBegin
      writeU64(out, 1, message.length, 'The snapshot length')
      return out
    }
    case 'snapshot-chunk':
      if (message.bytes.length === 0) throw new RangeError('A SNAPSHOT_CHUNK frame must hold at least one byte.')
      return withKind(MASTER_FRAME_KINDS.snapshotChunk, message.bytes)
    case 'stream': {
      if (message.bytes.length === 0) throw new RangeError('A STREAM frame must hold at least one byte.')
      const out = withKind(MASTER_FRAME_KINDS.stream, message.bytes, U64_BYTES)
      writeU64(out, 1, message.startOffset, 'The STREAM start offset')
      if (message.bytes.length > MAX_OFFSET - message.startOffset) throw new RangeError('A STREAM frame must end below offset 2^53.')
      return out
    }
    case 'keepalive':
      return Uint8Array.of(MASTER_FRAME_KINDS.keepalive)
  }
}

/**
 * Decodes one master → replica frame. Throws a LinkProtocolError (code ERR_LINK_PROTOCOL, `offset` =
 * byte position in the frame) for an empty frame, an unknown kind, a short header, an empty
 * SNAPSHOT_CHUNK or STREAM, a u64 not below 2^53, a KEEPALIVE with a payload, or a REPLY that is not
 * exactly one RESP value. Byte payloads are views into `frame`.
 */
export function decodeMasterFrame(frame: Uint8Array, limits: Partial<RespLimits> = {}): MasterMessage {
  if (frame.length === 0) throw new LinkProtocolError('empty frame (every master frame starts with a kind byte)', 0)
  const kind = frame[0]!
  switch (kind) {
    case MASTER_FRAME_KINDS.reply: {
      if (frame.length === 1) throw new LinkProtocolError('REPLY frame without a reply', 1)
      const decoder = new RespDecoder(limits)
      decoder.push(frame.subarray(1))
      let value: RespValue | undefined
      try {
        value = decoder.next()
      } catch (cause) {
        if (cause instanceof RespProtocolError) throw new LinkProtocolError(`REPLY frame holds malformed RESP: ${cause.message}`, 1 + cause.offset, { cause })
        throw cause
      }
      if (value === undefined) throw new LinkProtocolError('REPLY frame holds an incomplete RESP reply', frame.length)
      if (decoder.offset !== frame.length - 1) throw new LinkProtocolError('REPLY frame holds bytes after its reply', 1 + decoder.offset)
      return { kind: 'reply', value }
    }
    case MASTER_FRAME_KINDS.snapshotBegin: {
      const length = readU64(frame, 1, 'snapshot length')
      if (frame.length !== 1 + U64_BYTES) throw new LinkProtocolError(`SNAPSHOT_BEGIN frame has ${frame.length - 1 - U64_BYTES} bytes after its length`, 1 + U64_BYTES)
      return { kind: 'snapshot-begin', length }
    }
    case MASTER_FRAME_KINDS.snapshotChunk:
      if (frame.length === 1) throw new LinkProtocolError('empty SNAPSHOT_CHUNK frame', 1)
      return { kind: 'snapshot-chunk', bytes: frame.subarray(1) }
    case MASTER_FRAME_KINDS.stream: {
      const startOffset = readU64(frame, 1, 'STREAM start offset')
      if (frame.length === 1 + U64_BYTES) throw new LinkProtocolError('empty STREAM frame (no stream bytes after the offset)', 1 + U64_BYTES)
      if (frame.length - 1 - U64_BYTES > MAX_OFFSET - startOffset) throw new LinkProtocolError('the STREAM frame ends beyond offset 2^53', 1)
      return { kind: 'stream', startOffset, bytes: frame.subarray(1 + U64_BYTES) }
    }
    case MASTER_FRAME_KINDS.keepalive:
      if (frame.length !== 1) throw new LinkProtocolError(`KEEPALIVE frame has a ${frame.length - 1}-byte payload`, 1)
      return { kind: 'keepalive' }
    default:
      throw new LinkProtocolError(`unknown frame kind ${frameName(kind)}`, 0)
  }
}

/**
 * Encodes one replica → master frame: one RESP command, or for an empty argv the keep-alive, a bare
 * newline (Redis's empty inline command).
 */
export function encodeReplicaFrame(argv: readonly ByteString[]): Uint8Array {
  return argv.length === 0 ? Uint8Array.of(10) : encodeCommand(argv)
}

/**
 * Decodes one replica → master frame: exactly one RESP command (multibulk), or the keep-alive
 * (`\n` or `\r\n`) as an empty argv. Throws a LinkProtocolError for an empty frame, an inline
 * command, malformed RESP, an incomplete command or bytes after the command; a RespLimitError
 * (a LimitError, code ERR_RESP_LIMIT) for a command over the RESP limits.
 */
export function decodeReplicaFrame(frame: Uint8Array, limits: Partial<RespLimits> = {}): ByteString[] {
  if (frame.length === 0) throw new LinkProtocolError('empty frame (a replica frame holds one RESP command)', 0)
  const decoder = new RequestDecoder({ ...limits, allowInline: false })
  decoder.push(frame)
  let argv: ByteString[] | undefined
  try {
    argv = decoder.next()
  } catch (cause) {
    if (cause instanceof RespProtocolError) throw new LinkProtocolError(`malformed RESP command: ${cause.message}`, cause.offset, { cause })
    throw cause
  }
  if (argv === undefined) {
    throw new LinkProtocolError(`incomplete RESP command ${JSON.stringify(bytesToByteString(frame, 0, Math.min(frame.length, 24)))}`, frame.length)
  }
  if (decoder.offset !== frame.length) throw new LinkProtocolError('bytes after the command (a frame holds exactly one)', decoder.offset)
  return argv
}
