// The neutral form of one key and its value, shared by the dataset (store/), the RDB codec (rdb/) and
// the replicas' storage adapters. The dataset keeps its own faster structures internally and converts
// at these edges; a snapshot, an RDB file and a stored record all speak this form.
import type { ByteString } from './bytes.ts'

export const REDIS_TYPES = Object.freeze(['string', 'list', 'set', 'zset', 'hash'] as const)
/** The value types of DESIGN §2, named as Redis's TYPE command names them. */
export type RedisType = (typeof REDIS_TYPES)[number]

export type PlainValue =
  | { readonly type: 'string'; readonly value: ByteString }
  /** Elements from head to tail. */
  | { readonly type: 'list'; readonly items: readonly ByteString[] }
  | { readonly type: 'set'; readonly members: readonly ByteString[] }
  /** Field/value pairs. */
  | { readonly type: 'hash'; readonly fields: readonly (readonly [ByteString, ByteString])[] }
  /** Member/score pairs. Scores are never NaN. */
  | { readonly type: 'zset'; readonly entries: readonly (readonly [ByteString, number])[] }

/** One key of one database. */
export interface KeyRecord {
  /** Database index, 0..15. */
  readonly db: number
  readonly key: ByteString
  readonly value: PlainValue
  /** Absolute expiry in Unix milliseconds, or null when the key does not expire. */
  readonly expireAt: number | null
}

/**
 * One write to propagate to replicas, as Redis propagates effects (REDIS.md §6): the command that
 * reproduces it deterministically (`SET k v PXAT <ms>`, never `SET k v EX 10`), and the database it
 * applies to, or -1 for commands without a key context (`ping`, `REPLCONF GETACK *`), before which
 * no SELECT is emitted.
 */
export interface Effect {
  readonly db: number
  readonly argv: readonly ByteString[]
}
