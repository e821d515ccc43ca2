// Errors of core/replication. Every failure has a class and a stable `code` (docs/protocol.md lists
// them with what to do about each). The state machines never throw on peer input: they catch codec
// errors and return them in a `close` action, with the WebSocket close code and reason to use.
//
// Deliberately left out: logging and retrying. The shells report (`'error'` event) and reconnect.
import { LimitError, ProtocolError, ReplicastError } from '../errors.ts'

export const REPLICATION_ERROR_CODES = Object.freeze({
  /** A link frame is malformed: unknown kind, short header, empty payload, offset beyond 2^53. */
  linkProtocol: 'ERR_LINK_PROTOCOL',
  /** A well-formed frame or command that the protocol does not allow at this point. */
  protocol: 'ERR_REPLICATION_PROTOCOL',
  /** The peer sent nothing (replica side: no byte; master side: no ACK) for `timeoutMs`. */
  timeout: 'ERR_REPLICATION_TIMEOUT',
  /** A replica's pending output passed the hard limit, or the soft limit for too long. */
  outputBuffer: 'ERR_REPLICA_OUTPUT_BUFFER_LIMIT',
  /** The master refused the handshake (AUTH failed, -ERR/-NOMASTERLINK/-LOADING to PSYNC). */
  masterRefused: 'ERR_MASTER_REFUSED',
  /** A replica asked for bytes the backlog no longer holds; it must reconnect and full-sync. */
  backlogNotCovered: 'ERR_BACKLOG_NOT_COVERED',
  /** The replica's storage failed to persist a batch; the replica rolled back to its durable offset. */
  persistFailed: 'ERR_PERSIST_FAILED',
  /** The shell reported that the snapshot this link waited for could not be made or sent. */
  snapshotFailed: 'ERR_SNAPSHOT_FAILED',
  /** A replica sent a WebSocket message over the master's `maxFrameBytes`. */
  frameLimit: 'ERR_LINK_FRAME_LIMIT',
} as const)

export type ReplicationErrorCode = (typeof REPLICATION_ERROR_CODES)[keyof typeof REPLICATION_ERROR_CODES]

/**
 * WebSocket close codes the shells use when a machine closes a link (RFC 6455 §7.4: 1002 is
 * "protocol error", 1011 "internal error"; 4000-4999 are for applications).
 */
export const LINK_CLOSE_CODES = Object.freeze({
  protocolError: 1002,
  /** RFC 6455 "message too big": a message over `maxFrameBytes`. */
  messageTooBig: 1009,
  internalError: 1011,
  timeout: 4000,
  outputBufferLimit: 4001,
  backlogNotCovered: 4002,
  masterRefused: 4003,
  persistFailed: 4004,
} as const)

/**
 * A malformed link frame. `offset` is the byte position inside the frame, or -1 when it is not known:
 * a frame refused by the WebSocket layer (ws) never reaches our codec, and ws does not say where in
 * the frame it stopped. The message then says that the position is unknown rather than name a byte.
 */
export class LinkProtocolError extends ProtocolError {
  constructor(detail: string, offset: number, options?: ErrorOptions) {
    super(
      REPLICATION_ERROR_CODES.linkProtocol,
      offset >= 0 ? `Malformed link frame at byte ${offset}: ${detail}` : `Malformed link frame (byte position unknown): ${detail}`,
      offset,
      options,
    )
  }
}

/**
 * A peer broke the replication protocol with well-formed input: an unexpected reply or frame, a bad
 * `+FULLRESYNC`, a command with a reply on a replication link, undecodable stream bytes. `offset` is
 * the replication offset (or the byte position) where it was seen, -1 when there is none.
 */
export class ReplicationProtocolError extends ProtocolError {
  constructor(message: string, offset = -1, options?: ErrorOptions) {
    super(REPLICATION_ERROR_CODES.protocol, message, offset, options)
  }
}

/** The peer was silent for longer than `timeoutMs`. */
export class ReplicationTimeoutError extends ReplicastError {
  readonly timeoutMs: number
  readonly silentMs: number

  /** `silent`: who was silent — the master (seen by a replica), or a replica online / in its handshake. */
  constructor(silent: 'master' | 'replica' | 'handshake', timeoutMs: number, silentMs: number) {
    super(
      REPLICATION_ERROR_CODES.timeout,
      silent === 'master'
        ? `No data nor PING from the master for ${silentMs} ms (timeoutMs is ${timeoutMs}); reconnecting. Raise timeoutMs if the master is known to stall this long.`
        : silent === 'replica'
          ? `No REPLCONF ACK from the replica for ${silentMs} ms (timeoutMs is ${timeoutMs}); disconnecting it. Raise timeoutMs if replicas are known to stall this long.`
          : `The client sent nothing for ${silentMs} ms before PSYNC (timeoutMs is ${timeoutMs}); disconnecting it.`,
    )
    this.timeoutMs = timeoutMs
    this.silentMs = silentMs
  }
}

/**
 * A replica's output buffer (stream not yet sent to it) went over a limit. `limit` is the option's
 * name, the same in MasterMachineOptions and the master's options (packages/master/src/options.ts);
 * the message also names the CLI flag, e.g. `--output-buffer-hard`.
 */
export class OutputBufferLimitError extends LimitError {
  constructor(limit: 'outputBufferHardBytes' | 'outputBufferSoftBytes', limitValue: number, actual: number, softMs?: number) {
    super(
      REPLICATION_ERROR_CODES.outputBuffer,
      limit,
      limitValue,
      actual,
      // The effective hard limit is never below backlogBytes (Redis: a partial resync must not be
      // killed at once), so `limitValue` may be backlogBytes rather than outputBufferHardBytes.
      limit === 'outputBufferHardBytes'
        ? `Replica output buffer reached ${actual} bytes, over the hard limit of ${limitValue} bytes (outputBufferHardBytes, never below backlogBytes); disconnecting the replica (it comes back with PSYNC). Raise outputBufferHardBytes (--output-buffer-hard) if replicas this slow are intended.`
        : `Replica output buffer stayed at ${actual} bytes, over outputBufferSoftBytes (${limitValue}), for more than outputBufferSoftMs (${softMs ?? 0} ms); disconnecting the replica (it comes back with PSYNC). Raise outputBufferSoftBytes (--output-buffer-soft) or outputBufferSoftMs (--output-buffer-soft-time) if replicas this slow are intended.`,
    )
  }
}

/**
 * A replica sent a WebSocket message over `maxFrameBytes`. ws refuses it from the frame header, before
 * reading the payload, and does not say how long it was: `actual` is the lower bound
 * `limitValue + 1`.
 */
export class FrameLimitError extends LimitError {
  constructor(limitValue: number, options?: ErrorOptions) {
    super(
      REPLICATION_ERROR_CODES.frameLimit,
      'maxFrameBytes',
      limitValue,
      limitValue + 1,
      `A replica sent a WebSocket message whose payload exceeds maxFrameBytes (${limitValue} bytes); closing the link. Raise maxFrameBytes (--max-frame-size) if replicas must send larger messages.`,
      options,
    )
  }
}

/** The master answered the handshake with an error. `retryLater` is false when retrying cannot help (AUTH). */
export class MasterRefusedError extends ReplicastError {
  /** The master's reply line, without the leading `-`. */
  readonly reply: string
  readonly retryLater: boolean

  constructor(command: string, reply: string, retryLater: boolean) {
    super(
      REPLICATION_ERROR_CODES.masterRefused,
      retryLater
        ? `The master answered ${command} with "-${reply}"; retrying later.`
        : `The master answered ${command} with "-${reply}"; check the replica's credentials (auth option).`,
    )
    this.reply = reply
    this.retryLater = retryLater
  }
}

/** A replica needs bytes from `offset` on, and the backlog no longer holds them. */
export class BacklogNotCoveredError extends ReplicastError {
  readonly offset: number
  readonly firstByteOffset: number

  constructor(offset: number, firstByteOffset: number, masterReplOffset: number) {
    super(
      REPLICATION_ERROR_CODES.backlogNotCovered,
      `The replica asked for the stream after offset ${offset}, but the backlog holds bytes ${firstByteOffset}..${masterReplOffset} only; closing so that it reconnects and full-syncs. Raise backlogBytes to cover longer gaps.`,
    )
    this.offset = offset
    this.firstByteOffset = firstByteOffset
  }
}

/** The replica's storage could not persist the batch ending at `offset`. */
export class PersistError extends ReplicastError {
  readonly offset: number
  readonly rolledBackTo: number

  constructor(offset: number, rolledBackTo: number, cause: unknown) {
    super(
      REPLICATION_ERROR_CODES.persistFailed,
      `Persisting the replication stream up to offset ${offset} failed (${cause instanceof Error ? cause.message : String(cause)}); rolled back to the durable offset ${rolledBackTo}, which the master re-sends from. Free storage space (quota) if this repeats.`,
      { cause },
    )
    this.offset = offset
    this.rolledBackTo = rolledBackTo
  }
}

/** The snapshot a replica waited for failed on the master. */
export class SnapshotFailedError extends ReplicastError {
  constructor(snapshotId: string, cause: unknown) {
    super(
      REPLICATION_ERROR_CODES.snapshotFailed,
      `Snapshot ${snapshotId} failed (${cause instanceof Error ? cause.message : String(cause)}); closing the replica link so that it retries.`,
      { cause },
    )
  }
}

/** Every error a replication state machine puts in a `close` action. */
export type ReplicationError =
  | LinkProtocolError
  | ReplicationProtocolError
  | ReplicationTimeoutError
  | OutputBufferLimitError
  | MasterRefusedError
  | BacklogNotCoveredError
  | PersistError
  | SnapshotFailedError
  | FrameLimitError
  /** Other codec errors, e.g. a RespProtocolError or RespLimitError from a frame's RESP. */
  | ProtocolError
  | LimitError

/** The WebSocket close code for an error a machine closed a link with. */
export function closeCodeFor(error: ReplicastError): number {
  switch (error.code) {
    case REPLICATION_ERROR_CODES.timeout: return LINK_CLOSE_CODES.timeout
    case REPLICATION_ERROR_CODES.outputBuffer: return LINK_CLOSE_CODES.outputBufferLimit
    case REPLICATION_ERROR_CODES.backlogNotCovered: return LINK_CLOSE_CODES.backlogNotCovered
    case REPLICATION_ERROR_CODES.masterRefused: return LINK_CLOSE_CODES.masterRefused
    case REPLICATION_ERROR_CODES.persistFailed: return LINK_CLOSE_CODES.persistFailed
    case REPLICATION_ERROR_CODES.snapshotFailed: return LINK_CLOSE_CODES.internalError
    case REPLICATION_ERROR_CODES.frameLimit: return LINK_CLOSE_CODES.messageTooBig
    default: return LINK_CLOSE_CODES.protocolError
  }
}

/**
 * A WebSocket close reason: at most 123 bytes of UTF-8 (RFC 6455 §5.5: control frames carry at
 * most 125 bytes, 2 of which are the code). Cut at a character boundary.
 */
export function closeReason(text: string): string {
  const encoder = new TextEncoder()
  if (encoder.encode(text).length <= 123) return text
  let cut = text.slice(0, 120)
  while (encoder.encode(cut + '…').length > 123) cut = cut.slice(0, -1)
  return cut + '…'
}
