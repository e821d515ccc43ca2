// HGET key field
import { bulk, NIL } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const hget: Command = {
  name: 'hget',
  arity: 3,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return NIL
    if (entry.type !== 'hash') return WRONGTYPE
    const value = entry.value.get(argv[2]!)
    return value === undefined ? NIL : bulk(value)
  },
}
