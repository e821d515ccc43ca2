// ZSCORE key member
import { bulk, NIL } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { formatScore } from '../double-format.ts'
import { WRONGTYPE } from '../replies.ts'

export const zscore: Command = {
  name: 'zscore',
  arity: 3,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return NIL
    if (entry.type !== 'zset') return WRONGTYPE
    const score = entry.value.score(argv[2]!)
    return score === undefined ? NIL : bulk(formatScore(score))
  },
}
