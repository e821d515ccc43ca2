// Options of the RDB reader. Each limit is a named option with a default; docs/operations.md lists
// them. They bound what one corrupt or hostile length can make the reader allocate or wait for.
import type { RdbWarning } from './errors.ts'

export interface RdbReaderOptions {
  /**
   * Largest string accepted, in bytes: a key, a value, an element, an AUX field, or an encoded
   * blob (listpack, ziplist, intset) before or after LZF decompression. The default is the longest
   * string V8 can hold (2^29 - 24), 24 bytes under Redis's own 512 MB `proto-max-bulk-len`; a
   * longer string could not become a JS string anyway.
   * @default 536870888
   */
  readonly maxValueBytes: number
  /**
   * Most elements in one collection (list items, set members, hash fields, zset entries).
   * V8 aborts the whole process (a fatal "invalid size error", not an exception) when an array
   * grows past about 112 million elements, so the default stays below that.
   * @default 100000000
   */
  readonly maxCollectionLength: number
  /**
   * Number of databases: a SELECTDB at or above it is refused, as Redis's `databases` config
   * refuses it ("FATAL: Data file was created with a Redis server configured to handle more than
   * %d databases").
   * @default 16
   */
  readonly databases: number
  /**
   * Receives everything the reader understood but did not keep: skipped module values, module AUX,
   * functions and streams, dropped hash-field TTLs, skipped empty keys. The reader also keeps the
   * first 100 in `warnings`.
   * @default undefined
   */
  readonly onWarning?: ((warning: RdbWarning) => void) | undefined
}

export const RDB_READER_DEFAULTS: Readonly<Omit<RdbReaderOptions, 'onWarning'>> = Object.freeze({
  maxValueBytes: 536_870_888,
  maxCollectionLength: 100_000_000,
  databases: 16,
})

export function resolveRdbReaderOptions(options: Partial<RdbReaderOptions> | undefined): RdbReaderOptions {
  const merged: RdbReaderOptions = { ...RDB_READER_DEFAULTS, ...options }
  const bad: string[] = []
  for (const name of ['maxValueBytes', 'maxCollectionLength', 'databases'] as const) {
    const value = merged[name]
    if (!Number.isSafeInteger(value) || value < 1) bad.push(`${name} (${String(value)})`)
  }
  if (bad.length > 0) throw new RangeError(`RDB reader options must be positive integers: ${bad.join(', ')}.`)
  if (merged.onWarning !== undefined && typeof merged.onWarning !== 'function') {
    throw new TypeError('RDB reader option onWarning must be a function.')
  }
  return merged
}
