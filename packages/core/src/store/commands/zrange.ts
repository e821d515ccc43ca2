// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
// (zrangeGenericCommand, t_zset.c, with its checks in Redis's order). Quirks kept: LIMIT is refused
// with a rank range only when its count is not -1; a negative offset yields nothing; a negative count
// means no limit. BYSCORE bounds go through strtod, so leading blanks pass and "" reads as 0.
import type { ByteString } from '../../bytes.ts'
import { array, bulk, EMPTY_ARRAY, error, type RespValue } from '../../resp/value.ts'
import { optionIs, parseLong } from '../arguments.ts'
import type { Command } from '../command.ts'
import { formatScore } from '../double-format.ts'
import { cString, int64ToNumber } from '../integer.ts'
import { MIN_MAX_NOT_FLOAT, MIN_MAX_NOT_LEX, NOT_AN_INTEGER, SYNTAX_ERROR, WRONGTYPE } from '../replies.ts'
import { LEX_MAX, LEX_MIN, lexGteMin, lexLteMax, scoreGteMin, scoreLteMax, type LexBound, type LexRange, type ScoreRange, type SkipNode } from '../skiplist.ts'
import type { SortedSet } from '../sorted-set.ts'
import { strtod } from '../strtod.ts'
import { normalizeRange } from './list-range.ts'

const LIMIT_NEEDS_RANGE = error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX')
const NO_WITHSCORES_BYLEX = error('ERR syntax error, WITHSCORES not supported in combination with BYLEX')

type RangeType = 'rank' | 'score' | 'lex'

/** zslParseRange's half: "(x" exclusive, "x" inclusive, strtod on the C string; null if invalid. */
function parseScoreBound(arg: ByteString): { value: number; exclusive: boolean } | null {
  const text = cString(arg)
  const exclusive = text.charCodeAt(0) === 40 /* ( */
  const body = exclusive ? text.slice(1) : text
  const parsed = strtod(body)
  if (parsed.end !== body.length) return null
  if (Number.isNaN(parsed.value)) return null
  return { value: parsed.value, exclusive }
}

/** zslParseLexRangeItem: "-", "+", "(x" or "[x"; null if invalid. */
function parseLexBound(arg: ByteString): { value: LexBound; exclusive: boolean } | null {
  const first = arg.charCodeAt(0)
  const alone = arg.length === 1 || arg.charCodeAt(1) === 0
  if (first === 43 /* + */) return alone ? { value: LEX_MAX, exclusive: true } : null
  if (first === 45 /* - */) return alone ? { value: LEX_MIN, exclusive: true } : null
  if (first === 40 /* ( */) return { value: arg.slice(1), exclusive: true }
  if (first === 91 /* [ */) return { value: arg.slice(1), exclusive: false }
  return null
}

function emit(out: RespValue[], node: SkipNode, withScores: boolean): void {
  out.push(bulk(node.member))
  if (withScores) out.push(bulk(formatScore(node.score)))
}

function byRank(set: SortedSet, start: number, end: number, reverse: boolean, withScores: boolean): RespValue {
  const range = normalizeRange(start, end, set.size)
  if (range === null) return EMPTY_ARRAY
  const out: RespValue[] = []
  const count = range[1] - range[0] + 1
  let node = set.nodeAt(reverse ? set.size - 1 - range[0] : range[0])
  for (let i = 0; i < count && node !== null; i++) {
    emit(out, node, withScores)
    node = reverse ? node.backward : (node.next[0] ?? null)
  }
  return array(out)
}

function walk(
  first: SkipNode | null,
  inRange: (node: SkipNode) => boolean,
  offset: number,
  limit: number,
  reverse: boolean,
  withScores: boolean,
): RespValue {
  let node = first
  const step = (n: SkipNode): SkipNode | null => (reverse ? n.backward : (n.next[0] ?? null))
  // As Redis: skip `offset` nodes without checking the range; a negative offset skips everything.
  while (node !== null && offset-- !== 0) node = step(node)
  const out: RespValue[] = []
  while (node !== null && limit-- !== 0) {
    if (!inRange(node)) break
    emit(out, node, withScores)
    node = step(node)
  }
  return array(out)
}

export const zrange: Command = {
  name: 'zrange',
  arity: -4,
  flags: ['readonly'],
  execute(ctx, argv) {
    let withScores = false
    let offset = 0
    let limit = -1
    let reverse = false
    let type: RangeType | null = null
    for (let j = 4; j < argv.length; j++) {
      const opt = argv[j]!
      const left = argv.length - j - 1
      if (optionIs(opt, 'withscores')) withScores = true
      else if (optionIs(opt, 'limit') && left >= 2) {
        const o = parseLong(argv[j + 1]!)
        const l = o === null ? null : parseLong(argv[j + 2]!)
        if (o === null || l === null) return NOT_AN_INTEGER
        offset = int64ToNumber(o)
        limit = int64ToNumber(l)
        j += 2
      } else if (!reverse && optionIs(opt, 'rev')) reverse = true
      else if (type === null && optionIs(opt, 'bylex')) type = 'lex'
      else if (type === null && optionIs(opt, 'byscore')) type = 'score'
      else return SYNTAX_ERROR
    }
    const rangeType: RangeType = type ?? 'rank'
    if (limit !== -1 && rangeType === 'rank') return LIMIT_NEEDS_RANGE
    if (withScores && rangeType === 'lex') return NO_WITHSCORES_BYLEX
    // BYSCORE/BYLEX with REV take the range as max, min.
    const swap = reverse && rangeType !== 'rank'
    const minArg = argv[swap ? 3 : 2]!
    const maxArg = argv[swap ? 2 : 3]!

    let rank: [number, number] | null = null
    let scoreRange: ScoreRange | null = null
    let lexRange: LexRange | null = null
    if (rangeType === 'rank') {
      const start = parseLong(minArg)
      const end = start === null ? null : parseLong(maxArg)
      if (start === null || end === null) return NOT_AN_INTEGER
      rank = [int64ToNumber(start), int64ToNumber(end)]
    } else if (rangeType === 'score') {
      const min = parseScoreBound(minArg)
      const max = min === null ? null : parseScoreBound(maxArg)
      if (min === null || max === null) return MIN_MAX_NOT_FLOAT
      scoreRange = { min: min.value, max: max.value, minExclusive: min.exclusive, maxExclusive: max.exclusive }
    } else {
      const min = parseLexBound(minArg)
      const max = min === null ? null : parseLexBound(maxArg)
      if (min === null || max === null) return MIN_MAX_NOT_LEX
      lexRange = { min: min.value, max: max.value, minExclusive: min.exclusive, maxExclusive: max.exclusive }
    }

    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return EMPTY_ARRAY
    if (entry.type !== 'zset') return WRONGTYPE
    const set = entry.value
    if (rank !== null) return byRank(set, rank[0], rank[1], reverse, withScores)
    if (offset > 0 && offset >= set.size) return EMPTY_ARRAY
    if (scoreRange !== null) {
      const range = scoreRange
      const first = reverse ? set.list.lastInScoreRange(range) : set.list.firstInScoreRange(range)
      const inRange = reverse ? (n: SkipNode) => scoreGteMin(n.score, range) : (n: SkipNode) => scoreLteMax(n.score, range)
      return walk(first, inRange, offset, limit, reverse, withScores)
    }
    const range = lexRange!
    const first = reverse ? set.lastInLexRange(range) : set.firstInLexRange(range)
    const inRange = reverse ? (n: SkipNode) => lexGteMin(n.member, range) : (n: SkipNode) => lexLteMax(n.member, range)
    return walk(first, inRange, offset, limit, reverse, false)
  },
}
