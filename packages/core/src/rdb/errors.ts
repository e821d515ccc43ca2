// Errors and warnings of the RDB codec. Every failure carries a stable `code` (docs/operations.md
// lists them) and a message that names the byte offset and what was expected there, so a bad file
// can be found with `xxd -s <offset>`. Warnings report data the reader understood but could not
// keep (module values, streams, hash field TTLs): nothing is dropped silently.
import type { ByteString } from '../bytes.ts'
import { ProtocolError, ReplicastError } from '../errors.ts'

export const RDB_ERROR_CODES = Object.freeze({
  /** The bytes break the RDB format: a bad opcode, length, encoding, or an inconsistent structure. */
  corrupt: 'ERR_RDB_CORRUPT',
  /** The stored CRC-64 does not match the file's bytes. */
  checksum: 'ERR_RDB_CHECKSUM',
  /** The input ended before the RDB did (reported by `finish()`). */
  truncated: 'ERR_RDB_TRUNCATED',
  /** The input does not start with `REDIS`. */
  signature: 'ERR_RDB_SIGNATURE',
  /** The RDB version is outside 1..12. */
  version: 'ERR_RDB_VERSION',
  /** A value exceeds maxValueBytes, maxCollectionLength or databases. */
  limit: 'ERR_RDB_LIMIT',
  /** Valid RDB data that cannot be loaded or skipped without its module (type 6, pre-GA modules). */
  unsupported: 'ERR_RDB_UNSUPPORTED',
  /** The writer was given a record it cannot write (a NaN score, a bad db, a duplicate key). */
  invalidRecord: 'ERR_RDB_INVALID_RECORD',
  /** The writer's methods were called out of order (a key after `writeEnd()`, …). */
  writerState: 'ERR_RDB_WRITER_STATE',
} as const)
export type RdbErrorCode = (typeof RDB_ERROR_CODES)[keyof typeof RDB_ERROR_CODES]

/** Malformed, truncated or unsupported RDB input; `offset` is the byte position in the file. */
export class RdbError extends ProtocolError {
  declare readonly code: RdbErrorCode

  constructor(code: RdbErrorCode, message: string, offset: number) {
    super(code, message, offset)
  }
}

/** An RDB value over one of the reader's limits. Carries the option's name, its value and what was seen. */
export class RdbLimitError extends RdbError {
  readonly limit: string
  readonly limitValue: number
  readonly actual: number

  constructor(limit: string, limitValue: number, actual: number, offset: number, what: string) {
    super(
      RDB_ERROR_CODES.limit,
      `${what} ${actual} at byte ${offset} exceeds ${limit} (${limitValue}); raise the ${limit} option if this is intended.`,
      offset,
    )
    this.limit = limit
    this.limitValue = limitValue
    this.actual = actual
  }
}

/** The RDB writer was misused or given a record that Redis could not load. */
export class RdbWriteError extends ReplicastError {
  declare readonly code: RdbErrorCode
}

export const RDB_WARNING_CODES = Object.freeze({
  /** A module value (type 7) was skipped: Replicast has no modules. */
  moduleValueSkipped: 'WARN_RDB_MODULE_VALUE_SKIPPED',
  /** Module AUX data (opcode 247) was skipped. */
  moduleAuxSkipped: 'WARN_RDB_MODULE_AUX_SKIPPED',
  /** A function library (opcode 245 or 246) was skipped: Replicast does not run functions. */
  functionSkipped: 'WARN_RDB_FUNCTION_SKIPPED',
  /** A stream (type 15, 19 or 21) was skipped: Replicast has no streams. */
  streamSkipped: 'WARN_RDB_STREAM_SKIPPED',
  /** A Redis 7.4 hash had per-field TTLs (HEXPIRE); its fields were kept, their TTLs dropped. */
  fieldTtlsDropped: 'WARN_RDB_FIELD_TTLS_DROPPED',
  /** An empty collection was skipped, as Redis does ("rdbLoadObject skipping empty key"). */
  emptyKeySkipped: 'WARN_RDB_EMPTY_KEY_SKIPPED',
} as const)
export type RdbWarningCode = (typeof RDB_WARNING_CODES)[keyof typeof RDB_WARNING_CODES]

/** Something the reader understood but did not keep. */
export interface RdbWarning {
  readonly code: RdbWarningCode
  readonly message: string
  /** Byte offset of the opcode or value type that caused it. */
  readonly offset: number
  /** The key concerned, when there is one. */
  readonly key?: ByteString
  readonly db?: number
}

/** Shows a byte string in messages the way redis-cli does: printable ASCII, `\xNN` otherwise, cut at 64. */
export function printableKey(s: ByteString): string {
  const shown = s.length > 64 ? s.slice(0, 64) : s
  let out = ''
  for (let i = 0; i < shown.length; i++) {
    const c = shown.charCodeAt(i)
    if (c === 0x22 || c === 0x5c) out += '\\' + shown[i]
    else if (c >= 0x20 && c < 0x7f) out += shown[i]
    else out += '\\x' + c.toString(16).padStart(2, '0')
  }
  return `"${out}"${s.length > 64 ? `… (${s.length} bytes)` : ''}`
}
