// A double-ended queue on a growable ring buffer: O(1) push and pop at both ends and O(1) access by
// index, which is what Redis lists need (LPUSH/RPUSH/LPOP/RPOP, LINDEX/LSET, LRANGE slices).
// Removal in the middle (LREM) compacts in one O(n) pass.

export class Deque<T> {
  #items: (T | undefined)[]
  #mask: number
  #head = 0
  #length = 0

  constructor(capacity = 8) {
    let size = 8
    while (size < capacity) size *= 2
    this.#items = new Array<T | undefined>(size)
    this.#mask = size - 1
  }

  static from<T>(values: Iterable<T>): Deque<T> {
    const array = Array.isArray(values) ? (values as T[]) : [...values]
    const deque = new Deque<T>(array.length)
    for (const value of array) deque.push(value)
    return deque
  }

  get length(): number {
    return this.#length
  }

  #grow(): void {
    const old = this.#items
    const size = old.length * 2
    const items = new Array<T | undefined>(size)
    for (let i = 0; i < this.#length; i++) items[i] = old[(this.#head + i) & this.#mask]
    this.#items = items
    this.#mask = size - 1
    this.#head = 0
  }

  push(value: T): void {
    if (this.#length === this.#items.length) this.#grow()
    this.#items[(this.#head + this.#length) & this.#mask] = value
    this.#length++
  }

  unshift(value: T): void {
    if (this.#length === this.#items.length) this.#grow()
    this.#head = (this.#head - 1) & this.#mask
    this.#items[this.#head] = value
    this.#length++
  }

  pop(): T | undefined {
    if (this.#length === 0) return undefined
    this.#length--
    const at = (this.#head + this.#length) & this.#mask
    const value = this.#items[at]
    this.#items[at] = undefined
    return value
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined
    const value = this.#items[this.#head]
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) & this.#mask
    this.#length--
    return value
  }

  /** The element at `index` (0 = head); `index` must be in [0, length). */
  at(index: number): T {
    return this.#items[(this.#head + index) & this.#mask] as T
  }

  set(index: number, value: T): void {
    this.#items[(this.#head + index) & this.#mask] = value
  }

  /** Elements [start, end) as an array. */
  slice(start: number, end: number): T[] {
    const out = new Array<T>(Math.max(0, end - start))
    for (let i = start; i < end; i++) out[i - start] = this.at(i)
    return out
  }

  toArray(): T[] {
    return this.slice(0, this.#length)
  }

  /** Drops `count` elements from the head and `countTail` from the tail. */
  trim(countHead: number, countTail: number): void {
    for (let i = 0; i < countHead && this.#length > 0; i++) this.shift()
    for (let i = 0; i < countTail && this.#length > 0; i++) this.pop()
  }

  /**
   * Removes up to `limit` elements equal to `value` (all when limit is 0), scanning from the tail
   * when `fromTail`. Returns how many were removed. Order of the rest is kept.
   */
  remove(value: T, limit: number, fromTail: boolean): number {
    const n = this.#length
    const keep = new Array<boolean>(n).fill(true)
    let removed = 0
    for (let k = 0; k < n && (limit === 0 || removed < limit); k++) {
      const i = fromTail ? n - 1 - k : k
      if (this.at(i) === value) {
        keep[i] = false
        removed++
      }
    }
    if (removed === 0) return 0
    let write = 0
    for (let i = 0; i < n; i++) {
      if (keep[i]) {
        this.set(write, this.at(i))
        write++
      }
    }
    for (let i = write; i < n; i++) this.set(i, undefined as T)
    this.#length = write
    return removed
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#length; i++) yield this.at(i)
  }
}
