// GET key
import { bulk, NIL } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const get: Command = {
  name: 'get',
  arity: 2,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return NIL
    if (entry.type !== 'string') return WRONGTYPE
    return bulk(entry.value)
  },
}
