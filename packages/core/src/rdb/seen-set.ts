// Duplicate detection for collections of any size. A V8 Set holds at most 2^24 (16,777,216)
// entries and throws a RangeError past that, while a Redis set or hash may be larger; this keeps
// several Sets, each below the limit.

const MAX_SET_SIZE = (1 << 24) - 1

export class SeenSet<T> {
  readonly #sets: Array<Set<T>> = [new Set<T>()]
  readonly #shardSize: number

  /** `shardSize` exists for tests; the default is the most one V8 Set holds. */
  constructor(shardSize = MAX_SET_SIZE) {
    this.#shardSize = shardSize
  }

  /** Adds `value`; returns false when it was already there. */
  add(value: T): boolean {
    const sets = this.#sets
    for (let i = 0; i < sets.length; i++) if (sets[i]!.has(value)) return false
    let last = sets[sets.length - 1]!
    if (last.size >= this.#shardSize) sets.push((last = new Set<T>()))
    last.add(value)
    return true
  }
}
