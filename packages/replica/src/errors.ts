// Errors of the replica shell itself: what the core's machine (core/replication/errors.ts), the
// storage (storage/storage.ts) and reads (reads.ts) do not raise. Every code is listed, with what to
// do about it, in docs/operations.md §5.
import { LINK_CLOSE_CODES, ReplicastError } from '@replicast/core'

export const REPLICA_ERROR_CODES = Object.freeze({
  /** `waitForOffset` gave up after its `timeoutMs`. */
  waitTimeout: 'ERR_WAIT_TIMEOUT',
  /** The master closed the link with 1009: a message the replica sent was over its `maxFrameBytes`. */
  masterFrameLimit: 'ERR_MASTER_FRAME_LIMIT',
} as const)

/** Where a replica was when a wait gave up (its status, or a browser tab's). */
export interface WaitPoint {
  /** The offset applied. */
  readonly offset: number
  /** The offset storage has committed. */
  readonly durableOffset: number
  readonly link: string
  /** A browser replica's role in its tab ('leader' or 'follower'); absent for createReplica's. */
  readonly role?: string
}

/**
 * `waitForOffset(offset, { timeoutMs })` did not see `offset` within `timeoutMs`: not applied, or with
 * `durable` not stored. `reachedOffset` is what it had reached then (the applied offset, or for a
 * durable wait the stored one).
 */
export class WaitForOffsetTimeoutError extends ReplicastError {
  /** The offset waited for. */
  readonly offset: number
  readonly durable: boolean
  readonly timeoutMs: number
  readonly reachedOffset: number

  constructor(wait: { readonly offset: number; readonly durable: boolean; readonly timeoutMs: number }, at: WaitPoint) {
    super(
      REPLICA_ERROR_CODES.waitTimeout,
      `waitForOffset(${wait.offset}${wait.durable ? ', durable' : ''}) timed out after ${wait.timeoutMs} ms at offset ${at.offset} ` +
        `(durable ${at.durableOffset}), link ${at.link}${at.role === undefined ? '' : `, role ${at.role}`}. ` +
        'Check status.link and status.lastError if the link is not up; offsets belong to one history, so after the master restarted wait on an offset of its new one; raise timeoutMs if the replica is only slow.',
    )
    this.offset = wait.offset
    this.durable = wait.durable
    this.timeoutMs = wait.timeoutMs
    this.reachedOffset = wait.durable ? at.durableOffset : at.offset
  }
}

/**
 * The master closed the link with 1009, "message too big" (RFC 6455 §7.4.1): a message this replica
 * sent was over the master's `maxFrameBytes`. ws refuses it from the frame header and closes with an
 * empty reason, so the limit itself is not known here; `largestSentBytes` is the largest message the
 * replica sent on that link, the one most likely refused. A replica sends only short commands (AUTH,
 * PSYNC, REPLCONF ACK), so this is a master configured with a tiny `maxFrameBytes`, or a very long
 * AUTH password.
 */
export class MasterFrameLimitError extends ReplicastError {
  readonly largestSentBytes: number

  constructor(largestSentBytes: number, reason = '') {
    super(
      REPLICA_ERROR_CODES.masterFrameLimit,
      `The master closed the link with code ${LINK_CLOSE_CODES.messageTooBig} (message too big${reason === '' ? '' : `: ${reason}`}): ` +
        `a message this replica sent exceeded the master's maxFrameBytes option (the largest it sent on this link was ${largestSentBytes} bytes). ` +
        "A replica sends only short commands (AUTH, PSYNC, REPLCONF ACK): raise the master's maxFrameBytes (--max-frame-size), " +
        'or shorten the auth password if it is that long. The replica keeps reconnecting with backoff meanwhile.',
    )
    this.largestSentBytes = largestSentBytes
  }
}
