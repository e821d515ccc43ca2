// One value in RDB form, on its own: the type byte followed by the payload, exactly as it appears
// after the key inside an RDB file (and as Redis's DUMP payload begins). Replica storage adapters
// keep records this way: compact, binary-safe, and read by the same code that reads snapshots.
//
//   writeRdbValue({ type: 'list', items: ['a', 'b'] })  →  01 02 01 61 01 62
//   readRdbValue(bytes)                                 →  { type: 'list', items: ['a', 'b'] }
//
// readRdbValue accepts every value encoding the reader does (listpacks, intsets, quicklists, …),
// so a value copied byte for byte out of a Redis RDB reads back too.
//
// Deliberately left out: DUMP's trailing version and CRC; the storage adapters own integrity.
import type { PlainValue } from '../values.ts'
import { RDB_ERROR_CODES, RdbError } from './errors.ts'
import { corrupt, Input, NEED_MORE } from './input.ts'
import { RDB_READER_DEFAULTS, resolveRdbReaderOptions, type RdbReaderOptions } from './limits.ts'
import { RdbOutput } from './output.ts'
import { isValueType, ValueDecoder } from './value-decoder.ts'
import { rdbTypeOf, validateValue, writeValuePayload } from './value-encoder.ts'

export interface RdbValueOptions {
  /**
   * LZF-compress strings longer than 20 bytes when that saves at least 4 bytes, as Redis's
   * `rdbcompression yes` does.
   * @default false
   */
  readonly compression: boolean
}

// One output for every call: encoding is synchronous, and take() hands out a copy, so storage
// adapters writing a million records do not allocate a buffer for each. After a large value the
// buffer is dropped rather than kept at its peak size.
const SHARED_OUTPUT_MAX_BYTES = 1 << 20
let out = new RdbOutput(1024)

/** Encodes one value: its RDB type byte, then its payload. Empty collections are encoded as such. */
export function writeRdbValue(value: PlainValue, options?: Partial<RdbValueOptions>): Uint8Array {
  validateValue(value, () => 'The value')
  out.length = 0
  out.byte(rdbTypeOf(value))
  writeValuePayload(out, value, options?.compression ?? false)
  const bytes = out.take()
  if (out.buf.length > SHARED_OUTPUT_MAX_BYTES) out = new RdbOutput(1024)
  return bytes
}

/**
 * Decodes one value written by writeRdbValue, or any type byte + payload from a Redis RDB. Throws
 * RdbError (ERR_RDB_CORRUPT, ERR_RDB_TRUNCATED, ERR_RDB_LIMIT, ERR_RDB_UNSUPPORTED for modules and
 * streams, which have no PlainValue) when the bytes are not exactly one value.
 */
export function readRdbValue(bytes: Uint8Array, options?: Partial<RdbReaderOptions>): PlainValue {
  const resolved = options === undefined ? RDB_READER_DEFAULTS : resolveRdbReaderOptions(options)
  const input = new Input(resolved.maxValueBytes)
  input.setBuffer(bytes, 0)
  try {
    const type = input.u8()
    if (!isValueType(type)) throw corrupt(0, `unknown value type ${type} (expected 0-7 or 9-25)`)
    const onWarning = options?.onWarning
    const decoder = new ValueDecoder(type, 1, {
      maxCollectionLength: resolved.maxCollectionLength,
      warn: (code, message) => onWarning?.({ code, message, offset: 0 }),
    })
    const value = decoder.step(input)
    if ('skipped' in value) {
      throw new RdbError(RDB_ERROR_CODES.unsupported, `RDB value of type ${type} (a module value or a stream) has no PlainValue form`, 0)
    }
    if (input.pos !== input.end) throw corrupt(input.pos, `${input.end - input.pos} byte(s) after the end of the value`)
    return value
  } catch (error) {
    if (error !== NEED_MORE) throw error
    throw new RdbError(
      RDB_ERROR_CODES.truncated,
      `RDB value truncated: ${bytes.length} bytes end inside it; at least ${input.need - bytes.length} more byte(s) were expected.`,
      bytes.length,
    )
  }
}
