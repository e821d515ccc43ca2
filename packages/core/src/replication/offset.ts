// Replication offsets, as Redis counts them (REDIS.md §3.1): the number of stream bytes produced
// (master) or applied (replica) so far. Offset N means "bytes 1..N"; the next byte is byte N+1.
//
// Two conventions meet here and are easy to mix up:
//   - an *offset* (our API, `REPLCONF ACK`, `+FULLRESYNC <id> <offset>`) counts bytes already had;
//   - PSYNC's argument and INFO's `repl_backlog_first_byte_offset` name the *first byte wanted/held*,
//     which is offset + 1.
// Offsets stay below 2^53 so that they are exact JavaScript numbers (2^53 bytes at 1 GB/s take
// about 285 years to produce).

/** A replication offset: a non-negative safe integer count of stream bytes. */
export type Offset = number

/** The largest offset we represent exactly (2^53 - 1). */
export const MAX_OFFSET: Offset = Number.MAX_SAFE_INTEGER

/** True for a non-negative safe integer. */
export function isOffset(value: unknown): value is Offset {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/
const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n

/**
 * Parses a decimal argument the way Redis's getLongLongFromObject does (string2ll: no sign `+`, no
 * spaces, no leading zeros, within int64). Values beyond ±2^53 are clamped to ±MAX_OFFSET: they are
 * valid for Redis and compare as larger than any offset we can hold. Returns null when Redis would
 * answer `-ERR value is not an integer or out of range`.
 */
export function parseRedisInteger(text: string): number | null {
  if (text.length === 0 || text.length > 20 || !INTEGER.test(text) || text === '-0') return null
  const value = Number(text)
  if (Number.isSafeInteger(value)) return value
  const big = BigInt(text)
  if (big > INT64_MAX || big < INT64_MIN) return null
  return big > 0n ? MAX_OFFSET : -MAX_OFFSET
}
