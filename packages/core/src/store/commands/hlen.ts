// HLEN key
import { integer, ZERO } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const hlen: Command = {
  name: 'hlen',
  arity: 2,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return ZERO
    if (entry.type !== 'hash') return WRONGTYPE
    return integer(entry.value.size)
  },
}
