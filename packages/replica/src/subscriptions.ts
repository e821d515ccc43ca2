// Subscriptions to a replica's changes, shared by Replica and BrowserReplica so that both match keys
// alike: a key change reaches the subscriptions of its db whose pattern equals the key, or matches it
// as a glob (Redis's KEYS syntax); a flush reaches those of its db; a full resync reaches every one,
// whatever its db, since it may have changed any key.
//
// Deliberately left out: where changes come from (the dataset, or the worker for a BrowserReplica)
// and the 'change' event, which is the replica's emitter's.
import { byteStringToUtf8, globMatch, type ByteString, type KeyChange } from '@replicast/core'
import { argToByteString, type ReadArg } from './reads.ts'

/** A change to the replica's data, for subscriptions. */
export interface ReplicaChange {
  /**
   * 'key': `key` was written or deleted; 'flush': every key of `db` went (FLUSHDB/FLUSHALL);
   * 'resync': a full sync replaced everything.
   */
  readonly kind: 'key' | 'flush' | 'resync'
  readonly db: number
  /** The key as text (UTF-8); null for 'flush' and 'resync'. */
  readonly key: string | null
  /** The key as a byte string (one char per byte); null for 'flush' and 'resync'. */
  readonly keyBytes: ByteString | null
}

/** A dataset's change as subscribers see it. */
export function toReplicaChange(change: KeyChange): ReplicaChange {
  return change.kind === 'flush'
    ? { kind: 'flush', db: change.db, key: null, keyBytes: null }
    : { kind: 'key', db: change.db, key: byteStringToUtf8(change.key), keyBytes: change.key }
}

interface Subscription {
  /** Null: every db. */
  readonly db: number | null
  readonly pattern: ByteString
  readonly glob: boolean
  readonly listener: (change: ReplicaChange) => void
}

export class Subscriptions {
  readonly #all = new Set<Subscription>()
  readonly #onError: (error: unknown) => void

  /** `onError` gets what a listener throws; the other listeners still run. */
  constructor(onError: (error: unknown) => void) {
    this.#onError = onError
  }

  get size(): number {
    return this.#all.size
  }

  /** Adds a subscription (db 0 unless `options.db` says otherwise); returns a function that removes it. */
  add(pattern: ReadArg, listener: (change: ReplicaChange) => void, options: { glob?: boolean; db?: number | null }): () => void {
    const subscription: Subscription = { pattern: argToByteString(pattern), glob: options.glob ?? false, db: options.db === undefined ? 0 : options.db, listener }
    this.#all.add(subscription)
    return () => {
      this.#all.delete(subscription)
    }
  }

  /** Calls the listener of every subscription `change` matches. */
  emit(change: ReplicaChange): void {
    for (const s of this.#all) {
      if (change.kind !== 'resync' && s.db !== null && s.db !== change.db) continue
      if (change.kind === 'key' && !(s.glob ? globMatch(s.pattern, change.keyBytes!) : s.pattern === change.keyBytes)) continue
      try {
        s.listener(change)
      } catch (error) {
        this.#onError(error)
      }
    }
  }
}
