// What changed in the dataset, for replica subscriptions and persistence. Every execution unit (a
// command, a whole EXEC, one active-expiry deletion, a loaded record) reports the keys it wrote or
// deleted, in order, and FLUSHDB/FLUSHALL report each flushed database once instead of every key.
import type { ByteString } from '../bytes.ts'

export const KEY_CHANGE_KINDS = Object.freeze(['key', 'flush'] as const)
export type KeyChangeKind = (typeof KEY_CHANGE_KINDS)[number]

/**
 * - `key`: `key` in `db` was written or deleted (read it back to know which). A key may appear more
 *   than once in one unit.
 * - `flush`: every key of `db` was deleted (FLUSHDB, FLUSHALL, `clear()`).
 */
export type KeyChange =
  | { readonly kind: 'key'; readonly db: number; readonly key: ByteString }
  | { readonly kind: 'flush'; readonly db: number }

/** Receives the changes of one execution unit, after it completed. */
export type ChangeListener = (changes: readonly KeyChange[]) => void
