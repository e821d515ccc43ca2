// SCAN over a JS Map. Redis's cursor is a position in its hash table; ours is the insertion stamp
// (`seq`) of the last key visited, since a database's Map iterates in stamp order. That keeps SCAN's
// guarantee: a key present for the whole iteration is returned at least once (a key deleted and
// re-added moves to the end and may be returned twice, which SCAN allows).
//
// Resuming from a stamp would cost a walk from the start, so the live iterator of each step is kept
// under the cursor it returned, and the next step with that cursor continues it in O(COUNT). The
// cache is bounded; an evicted or unknown cursor falls back to the walk, which is correct, only slower.
import type { ByteString } from '../bytes.ts'
import type { Entry } from './entry.ts'
import type { Database } from './keyspace.ts'

const MAX_CACHED = 256

interface CachedIterator {
  readonly map: Map<ByteString, Entry>
  readonly iterator: Iterator<[ByteString, Entry]>
}

export interface ScanStep {
  readonly keys: ByteString[]
  /** 0n when the iteration is complete. */
  readonly cursor: bigint
}

export class ScanCursors {
  readonly #cache = new Map<string, CachedIterator>()

  step(database: Database, cursor: bigint, count: number): ScanStep {
    const map = database.dict
    let iterator: Iterator<[ByteString, Entry]>
    let pending: [ByteString, Entry] | null = null
    const cacheKey = `${database.index}:${cursor}`
    const cached = cursor === 0n ? undefined : this.#cache.get(cacheKey)
    if (cached !== undefined && cached.map === map) {
      this.#cache.delete(cacheKey)
      iterator = cached.iterator
    } else {
      iterator = map.entries()
      if (cursor !== 0n) {
        const after = cursor > 9007199254740991n ? Infinity : Number(cursor)
        for (;;) {
          const step = iterator.next()
          if (step.done === true) return { keys: [], cursor: 0n }
          if (step.value[1].seq > after) {
            pending = step.value
            break
          }
        }
      }
    }
    const keys: ByteString[] = []
    let last = 0
    while (keys.length < count) {
      let item: [ByteString, Entry]
      if (pending !== null) {
        item = pending
        pending = null
      } else {
        const step = iterator.next()
        if (step.done === true) return { keys, cursor: 0n }
        item = step.value
      }
      keys.push(item[0])
      last = item[1].seq
    }
    const next = BigInt(last)
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!)
    this.#cache.set(`${database.index}:${next}`, { map, iterator })
    return { keys, cursor: next }
  }

  /** Drops cached iterators of a database (after a flush they would pin the old Map). */
  forget(db: number): void {
    const prefix = `${db}:`
    for (const key of this.#cache.keys()) if (key.startsWith(prefix)) this.#cache.delete(key)
  }
}
