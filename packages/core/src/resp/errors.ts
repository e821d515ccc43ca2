// Errors of the RESP codecs. Each carries `redisReply`: the exact text Redis answers a client with
// (`Protocol error: invalid bulk length`), because redis-cli and client libraries depend on it.
import { LimitError, ProtocolError } from '../errors.ts'

export const RESP_ERROR_CODES = Object.freeze({
  /** Malformed RESP: a bad type byte, length or terminator. */
  protocol: 'ERR_RESP_PROTOCOL',
  /** A RESP value exceeded one of the RespLimits. */
  limit: 'ERR_RESP_LIMIT',
} as const)

/** Malformed RESP input at byte `offset` of the stream. */
export class RespProtocolError extends ProtocolError {
  /** What Redis would reply to a client that sent this, without the leading `-ERR `. */
  readonly redisReply: string

  constructor(redisReply: string, detail: string, offset: number) {
    super(RESP_ERROR_CODES.protocol, `${redisReply} at byte ${offset}: ${detail}`, offset)
    this.redisReply = redisReply
  }
}

/** A RESP value that exceeds a configured limit, detected at byte `offset` of the stream. */
export class RespLimitError extends LimitError {
  readonly redisReply: string
  readonly offset: number

  /** `unit` follows `actual` in the message: a line's length is counted in bytes seen so far. */
  constructor(redisReply: string, limit: string, limitValue: number, actual: number, offset: number, what: string, unit = '') {
    super(
      RESP_ERROR_CODES.limit,
      limit,
      limitValue,
      actual,
      `${what} ${actual}${unit} at byte ${offset} exceeds ${limit} (${limitValue}); raise the ${limit} option if this is intended.`,
    )
    this.redisReply = redisReply
    this.offset = offset
  }
}
