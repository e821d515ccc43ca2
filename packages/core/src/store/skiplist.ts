// Redis's skiplist (t_zset.c zskiplist), ported node for node: elements ordered by (score, member
// bytes), spans on every level so that rank lookups are O(log n), a backward pointer for reverse
// walks. JS string comparison on ByteStrings compares char codes, i.e. bytes, and a shorter prefix
// sorts first: exactly sdscmp.
//
// Level choice needs randomness but no unpredictability: a small xorshift generator per list keeps
// the core free of Math.random() and the structure reproducible.
import type { ByteString } from '../bytes.ts'

const MAX_LEVEL = 32

export class SkipNode {
  readonly member: ByteString
  score: number
  backward: SkipNode | null = null
  readonly next: (SkipNode | null)[]
  readonly span: number[]

  constructor(level: number, score: number, member: ByteString) {
    this.member = member
    this.score = score
    this.next = new Array<SkipNode | null>(level).fill(null)
    this.span = new Array<number>(level).fill(0)
  }
}

/** A score interval; `minExclusive`/`maxExclusive` are the '(' of ZRANGE BYSCORE. */
export interface ScoreRange {
  readonly min: number
  readonly max: number
  readonly minExclusive: boolean
  readonly maxExclusive: boolean
}

/** The "-" and "+" of a BYLEX range: below and above every string (Redis's shared.minstring/maxstring). */
export const LEX_MIN: unique symbol = Symbol('lex-min')
export const LEX_MAX: unique symbol = Symbol('lex-max')
export type LexBound = ByteString | typeof LEX_MIN | typeof LEX_MAX

/** A member interval for BYLEX; `(` makes a bound exclusive, and "-"/"+" are always exclusive. */
export interface LexRange {
  readonly min: LexBound
  readonly max: LexBound
  readonly minExclusive: boolean
  readonly maxExclusive: boolean
}

/** Redis's sdscmplex. */
export function compareLex(a: LexBound, b: LexBound): number {
  if (a === b) return 0
  if (a === LEX_MIN || b === LEX_MAX) return -1
  if (a === LEX_MAX || b === LEX_MIN) return 1
  return a < b ? -1 : a > b ? 1 : 0
}

export function lexGteMin(member: ByteString, range: LexRange): boolean {
  const cmp = compareLex(member, range.min)
  return range.minExclusive ? cmp > 0 : cmp >= 0
}

export function lexLteMax(member: ByteString, range: LexRange): boolean {
  const cmp = compareLex(member, range.max)
  return range.maxExclusive ? cmp < 0 : cmp <= 0
}

function precedes(node: SkipNode, score: number, member: ByteString): boolean {
  return node.score < score || (node.score === score && node.member < member)
}

export function scoreGteMin(score: number, range: ScoreRange): boolean {
  return range.minExclusive ? score > range.min : score >= range.min
}

export function scoreLteMax(score: number, range: ScoreRange): boolean {
  return range.maxExclusive ? score < range.max : score <= range.max
}

export class SkipList {
  readonly header = new SkipNode(MAX_LEVEL, 0, '')
  tail: SkipNode | null = null
  length = 0
  level = 1
  #seed = 0x9e3779b9

  #randomLevel(): number {
    let level = 1
    for (;;) {
      // xorshift32
      let x = this.#seed
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      this.#seed = x | 0
      // Redis: while ((random()&0xFFFF) < (ZSKIPLIST_P * 0xFFFF)) level += 1, with P = 0.25.
      if ((x & 0xffff) < 0x3fff && level < MAX_LEVEL) level++
      else return level
    }
  }

  insert(score: number, member: ByteString): SkipNode {
    const update = new Array<SkipNode>(MAX_LEVEL)
    const rank = new Array<number>(MAX_LEVEL)
    let x = this.header
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!
      for (let n = x.next[i]; n !== null && n !== undefined && precedes(n, score, member); n = x.next[i]) {
        rank[i]! += x.span[i]!
        x = n
      }
      update[i] = x
    }
    const level = this.#randomLevel()
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0
        update[i] = this.header
        this.header.span[i] = this.length
      }
      this.level = level
    }
    const node = new SkipNode(level, score, member)
    for (let i = 0; i < level; i++) {
      const u = update[i]!
      node.next[i] = u.next[i]!
      u.next[i] = node
      node.span[i] = u.span[i]! - (rank[0]! - rank[i]!)
      u.span[i] = rank[0]! - rank[i]! + 1
    }
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++
    node.backward = update[0] === this.header ? null : update[0]!
    if (node.next[0] !== null) node.next[0]!.backward = node
    else this.tail = node
    this.length++
    return node
  }

  #deleteNode(x: SkipNode, update: SkipNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!
      if (u.next[i] === x) {
        u.span[i]! += x.span[i]! - 1
        u.next[i] = x.next[i]!
      } else {
        u.span[i]! -= 1
      }
    }
    if (x.next[0] !== null) x.next[0]!.backward = x.backward
    else this.tail = x.backward
    while (this.level > 1 && this.header.next[this.level - 1] === null) this.level--
    this.length--
  }

  #findUpdate(score: number, member: ByteString, update: SkipNode[]): SkipNode | null {
    let x = this.header
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== null && n !== undefined && precedes(n, score, member); n = x.next[i]) x = n
      update[i] = x
    }
    const candidate = x.next[0]
    return candidate !== null && candidate !== undefined && candidate.score === score && candidate.member === member ? candidate : null
  }

  delete(score: number, member: ByteString): boolean {
    const update = new Array<SkipNode>(MAX_LEVEL)
    const x = this.#findUpdate(score, member, update)
    if (x === null) return false
    this.#deleteNode(x, update)
    return true
  }

  /** Moves `member` from `currentScore` to `newScore`, in place when its position does not change. */
  updateScore(currentScore: number, member: ByteString, newScore: number): SkipNode {
    const update = new Array<SkipNode>(MAX_LEVEL)
    const x = this.#findUpdate(currentScore, member, update)!
    // Redis's zslUpdateScore: if the node stays where it is, only its score changes.
    const prev = x.backward
    const next = x.next[0]
    if ((prev === null || prev.score < newScore) && (next === null || next === undefined || next.score > newScore)) {
      x.score = newScore
      return x
    }
    this.#deleteNode(x, update)
    return this.insert(newScore, member)
  }

  /** 1-based rank of the element, or 0 when absent. */
  rank(score: number, member: ByteString): number {
    let rank = 0
    let x = this.header
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== null && n !== undefined && (n.score < score || (n.score === score && n.member <= member)); n = x.next[i]) {
        rank += x.span[i]!
        x = n
      }
      if (x !== this.header && x.member === member) return rank
    }
    return 0
  }

  /** The element at 1-based `rank`, or null. */
  byRank(rank: number): SkipNode | null {
    let traversed = 0
    let x = this.header
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== null && n !== undefined && traversed + x.span[i]! <= rank; n = x.next[i]) {
        traversed += x.span[i]!
        x = n
      }
      if (traversed === rank) return x
    }
    return null
  }

  first(): SkipNode | null {
    return this.header.next[0] ?? null
  }

  /** Redis's zslIsInRange: could any element be in range at all? */
  #scoreRangeOverlaps(range: ScoreRange): boolean {
    if (range.min > range.max || (range.min === range.max && (range.minExclusive || range.maxExclusive))) return false
    const last = this.tail
    if (last === null || !scoreGteMin(last.score, range)) return false
    const first = this.header.next[0]
    if (first === null || first === undefined || !scoreLteMax(first.score, range)) return false
    return true
  }

  firstInScoreRange(range: ScoreRange): SkipNode | null {
    if (!this.#scoreRangeOverlaps(range)) return null
    let x = this.header
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== null && n !== undefined && !scoreGteMin(n.score, range); n = x.next[i]) x = n
    }
    const node = x.next[0]!
    return scoreLteMax(node.score, range) ? node : null
  }

  lastInScoreRange(range: ScoreRange): SkipNode | null {
    if (!this.#scoreRangeOverlaps(range)) return null
    let x = this.header
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== null && n !== undefined && scoreLteMax(n.score, range); n = x.next[i]) x = n
    }
    return scoreGteMin(x.score, range) ? x : null
  }

  #lexRangeOverlaps(range: LexRange): boolean {
    // Redis's zslIsInLexRange.
    const cmp = compareLex(range.min, range.max)
    if (cmp > 0 || (cmp === 0 && (range.minExclusive || range.maxExclusive))) return false
    const last = this.tail
    if (last === null || !lexGteMin(last.member, range)) return false
    const first = this.header.next[0]
    if (first === null || first === undefined || !lexLteMax(first.member, range)) return false
    return true
  }

  firstInLexRange(range: LexRange): SkipNode | null {
    if (!this.#lexRangeOverlaps(range)) return null
    let x = this.header
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== null && n !== undefined && !lexGteMin(n.member, range); n = x.next[i]) x = n
    }
    const node = x.next[0]!
    return lexLteMax(node.member, range) ? node : null
  }

  lastInLexRange(range: LexRange): SkipNode | null {
    if (!this.#lexRangeOverlaps(range)) return null
    let x = this.header
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== null && n !== undefined && lexLteMax(n.member, range); n = x.next[i]) x = n
    }
    return lexGteMin(x.member, range) ? x : null
  }
}
