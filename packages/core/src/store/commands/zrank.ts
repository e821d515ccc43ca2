// ZRANK key member: 0-based rank by (score, member), or nil.
import { integer, NIL } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const zrank: Command = {
  name: 'zrank',
  arity: 3,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return NIL
    if (entry.type !== 'zset') return WRONGTYPE
    const rank = entry.value.rank(argv[2]!)
    return rank < 0 ? NIL : integer(rank)
  },
}
