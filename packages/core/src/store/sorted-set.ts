// A Redis sorted set: member → score in a Map for O(1) ZSCORE, plus the skiplist for order, ranks and
// ranges. `compact` stands for Redis's listpack encoding (small sets: ≤ 128 members of ≤ 64 bytes).
// We never store a listpack, but the encoding is observable: a listpack stores a score as text and
// reads -0 back as 0, while a skiplist keeps -0 (ZSCORE and DEBUG DIGEST show the difference), so
// the set follows Redis's encoding transitions to know which one it would be.
import type { ByteString } from '../bytes.ts'
import { compareLex, lexGteMin, lexLteMax, SkipList, type LexRange, type SkipNode } from './skiplist.ts'

/** Redis's zset-max-listpack-entries default. */
export const ZSET_MAX_LISTPACK_ENTRIES = 128
/** Redis's zset-max-listpack-value default (bytes). */
export const ZSET_MAX_LISTPACK_VALUE = 64

/** ZADD's input flags (ZADD_IN_* in server.h). */
export interface ZAddFlags {
  readonly nx: boolean
  readonly xx: boolean
  readonly gt: boolean
  readonly lt: boolean
  readonly incr: boolean
}

/** zsetAdd's outcome: 'nan' is the error "resulting score is not a number (NaN)". */
export type ZAddOutcome = 'added' | 'updated' | 'unchanged' | 'nop' | 'nan'

export class SortedSet {
  readonly #scores = new Map<ByteString, number>()
  readonly #list = new SkipList()
  #compact: boolean
  /**
   * The score computed by the last successful `add` (zsetAdd's `newscore`), which ZINCRBY replies
   * with: before storage, so a listpack set answers "-0" while storing 0.
   */
  lastScore = 0

  /** A new set, encoded as Redis's zsetTypeCreate would for a first member of `firstMemberLength` bytes. */
  constructor(firstMemberLength = 0) {
    this.#compact = firstMemberLength <= ZSET_MAX_LISTPACK_VALUE
  }

  /** True while Redis would keep this set as a listpack. */
  get compact(): boolean {
    return this.#compact
  }

  get size(): number {
    return this.#scores.size
  }

  score(member: ByteString): number | undefined {
    return this.#scores.get(member)
  }

  has(member: ByteString): boolean {
    return this.#scores.has(member)
  }

  #stored(score: number): number {
    // A listpack holds "-0" as the integer 0.
    return this.#compact && score === 0 ? 0 : score
  }

  #insert(score: number, member: ByteString): void {
    if (this.#compact && (this.#scores.size + 1 > ZSET_MAX_LISTPACK_ENTRIES || member.length > ZSET_MAX_LISTPACK_VALUE)) {
      this.#compact = false
    }
    const stored = this.#stored(score)
    this.#scores.set(member, stored)
    this.#list.insert(stored, member)
  }

  /** Redis's zsetAdd (t_zset.c), including its NX/XX/GT/LT/INCR rules. */
  add(score: number, member: ByteString, flags: ZAddFlags): ZAddOutcome {
    if (Number.isNaN(score)) return 'nan'
    const current = this.#scores.get(member)
    if (current !== undefined) {
      if (flags.nx) return 'nop'
      if (flags.incr) {
        score += current
        if (Number.isNaN(score)) return 'nan'
      }
      if ((flags.lt && score >= current) || (flags.gt && score <= current)) return 'nop'
      this.lastScore = score
      if (score !== current) {
        if (this.#compact) {
          this.#list.delete(current, member)
          const stored = this.#stored(score)
          this.#scores.set(member, stored)
          this.#list.insert(stored, member)
        } else {
          this.#list.updateScore(current, member, score)
          this.#scores.set(member, score)
        }
        return 'updated'
      }
      return 'unchanged'
    }
    if (flags.xx) return 'nop'
    this.#insert(score, member)
    this.lastScore = score
    return 'added'
  }

  /** Adds a member known to be absent (loading). */
  load(score: number, member: ByteString): void {
    this.#insert(score, member)
  }

  remove(member: ByteString): boolean {
    const score = this.#scores.get(member)
    if (score === undefined) return false
    this.#scores.delete(member)
    this.#list.delete(score, member)
    return true
  }

  /** 0-based rank, or -1 when absent. */
  rank(member: ByteString, reverse = false): number {
    const score = this.#scores.get(member)
    if (score === undefined) return -1
    const rank = this.#list.rank(score, member)
    return reverse ? this.size - rank : rank - 1
  }

  get list(): SkipList {
    return this.#list
  }

  /** Node at 0-based rank. */
  nodeAt(rank: number): SkipNode | null {
    return this.#list.byRank(rank + 1)
  }

  /**
   * First member in a BYLEX range. BYLEX assumes equal scores; when they differ, Redis's answer
   * depends on the encoding: a listpack is scanned linearly (zzlFirstInLexRange), a skiplist is
   * descended level by level (zslFirstInLexRange), whose levels are random. We scan linearly
   * for compact sets, matching Redis exactly, and descend our own skiplist otherwise.
   */
  firstInLexRange(range: LexRange): SkipNode | null {
    if (!this.#compact) return this.#list.firstInLexRange(range)
    if (!this.#lexRangeMayMatch(range)) return null
    for (let node = this.#list.first(); node !== null; node = node.next[0] ?? null) {
      if (lexGteMin(node.member, range)) return lexLteMax(node.member, range) ? node : null
    }
    return null
  }

  /** Last member in a BYLEX range (see firstInLexRange). */
  lastInLexRange(range: LexRange): SkipNode | null {
    if (!this.#compact) return this.#list.lastInLexRange(range)
    if (!this.#lexRangeMayMatch(range)) return null
    for (let node = this.#list.tail; node !== null; node = node.backward) {
      if (lexLteMax(node.member, range)) return lexGteMin(node.member, range) ? node : null
    }
    return null
  }

  /** zzlIsInLexRange. */
  #lexRangeMayMatch(range: LexRange): boolean {
    const cmp = compareLex(range.min, range.max)
    if (cmp > 0 || (cmp === 0 && (range.minExclusive || range.maxExclusive))) return false
    const last = this.#list.tail
    const first = this.#list.first()
    if (last === null || first === null) return false
    return lexGteMin(last.member, range) && lexLteMax(first.member, range)
  }

  /** All members with their scores, lowest first. */
  *entries(): IterableIterator<readonly [ByteString, number]> {
    for (let node = this.#list.first(); node !== null; node = node.next[0] ?? null) yield [node.member, node.score]
  }

  /** A copy (for snapshots and tests). */
  clone(): SortedSet {
    const copy = new SortedSet(0)
    copy.#compact = this.#compact
    for (const [member, score] of this.entries()) {
      copy.#scores.set(member, score)
      copy.#list.insert(score, member)
    }
    return copy
  }

  /** Builds a set as Redis's RDB loader would encode it: listpack when small enough. */
  static fromEntries(entries: readonly (readonly [ByteString, number])[]): SortedSet {
    let compact = entries.length <= ZSET_MAX_LISTPACK_ENTRIES
    for (const [member] of entries) if (member.length > ZSET_MAX_LISTPACK_VALUE) compact = false
    const set = new SortedSet(0)
    set.#compact = compact
    for (const [member, score] of entries) {
      const stored = set.#stored(score)
      set.#scores.set(member, stored)
      set.#list.insert(stored, member)
    }
    return set
  }
}
