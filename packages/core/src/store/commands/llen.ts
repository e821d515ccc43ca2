// LLEN key
import { integer, ZERO } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const llen: Command = {
  name: 'llen',
  arity: 2,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return ZERO
    if (entry.type !== 'list') return WRONGTYPE
    return integer(entry.value.length)
  },
}
