// zaddGenericCommand (t_zset.c): ZADD and ZINCRBY (which is ZADD INCR with fixed arguments, and
// parses its arguments through the same option loop: `ZINCRBY z nx m` is a syntax error in Redis
// too). All scores are validated before anything changes, so the command applies whole or not at all.
import type { ByteString } from '../../bytes.ts'
import { error, integer, bulk, NIL, type RespValue } from '../../resp/value.ts'
import { optionIs, parseDouble } from '../arguments.ts'
import type { CommandContext } from '../context.ts'
import { formatScore } from '../double-format.ts'
import { newEntry, type ZSetEntry } from '../entry.ts'
import { NOT_A_FLOAT, SYNTAX_ERROR, WRONGTYPE, ZSET_NAN } from '../replies.ts'
import { SortedSet } from '../sorted-set.ts'

const XX_NX = error('ERR XX and NX options at the same time are not compatible')
const GT_LT_NX = error('ERR GT, LT, and/or NX options at the same time are not compatible')
const INCR_SINGLE = error('ERR INCR option supports a single increment-element pair')

export function zaddGeneric(ctx: CommandContext, argv: readonly ByteString[], incrCommand: boolean): RespValue {
  let nx = false
  let xx = false
  let gt = false
  let lt = false
  let ch = false
  let incr = incrCommand
  let scoreIndex = 2
  for (; scoreIndex < argv.length; scoreIndex++) {
    const opt = argv[scoreIndex]!
    if (optionIs(opt, 'nx')) nx = true
    else if (optionIs(opt, 'xx')) xx = true
    else if (optionIs(opt, 'ch')) ch = true
    else if (optionIs(opt, 'incr')) incr = true
    else if (optionIs(opt, 'gt')) gt = true
    else if (optionIs(opt, 'lt')) lt = true
    else break
  }
  const elements = argv.length - scoreIndex
  if (elements % 2 !== 0 || elements === 0) return SYNTAX_ERROR
  const pairs = elements / 2
  if (nx && xx) return XX_NX
  if ((gt && nx) || (lt && nx) || (gt && lt)) return GT_LT_NX
  if (incr && pairs > 1) return INCR_SINGLE

  const scores: number[] = []
  for (let j = 0; j < pairs; j++) {
    const score = parseDouble(argv[scoreIndex + j * 2]!)
    if (score === null) return NOT_A_FLOAT
    scores.push(score)
  }

  const key = argv[1]!
  const entry = ctx.lookup(key)
  if (entry !== undefined && entry.type !== 'zset') return WRONGTYPE
  let added = 0
  let updated = 0
  let processed = 0
  let score = 0
  if (entry !== undefined || !xx) {
    let zset: ZSetEntry
    if (entry === undefined) {
      zset = newEntry<ZSetEntry>('zset', new SortedSet(argv[scoreIndex + 1]!.length))
      ctx.add(key, zset)
    } else {
      zset = entry
    }
    const set = zset.value
    const flags = { nx, xx, gt, lt, incr }
    let touched = entry === undefined
    for (let j = 0; j < pairs; j++) {
      const member = argv[scoreIndex + 1 + j * 2]!
      if (!touched && (!set.has(member) ? !xx : !nx)) {
        // Only now is a change possible: keep the old value for open snapshots.
        ctx.modify(key, zset)
        touched = true
      }
      const outcome = set.add(scores[j]!, member, flags)
      // Redis leaves server.dirty untouched on this error (only INCR, a single pair, can reach it).
      if (outcome === 'nan') return ZSET_NAN
      if (outcome === 'added') added++
      else if (outcome === 'updated') updated++
      if (outcome !== 'nop') processed++
      score = set.lastScore
    }
  }
  ctx.dirty += added + updated
  if (incr) return processed > 0 ? bulk(formatScore(score)) : NIL
  return integer(ch ? added + updated : added)
}
