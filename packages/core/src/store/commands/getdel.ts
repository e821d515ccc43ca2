// GETDEL key: the value, and the key deleted. Propagated as DEL key (only when it existed).
import type { Command } from '../command.ts'
import { bulk, NIL } from '../../resp/value.ts'
import { WRONGTYPE } from '../replies.ts'

export const getdel: Command = {
  name: 'getdel',
  arity: 2,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    const key = argv[1]!
    const entry = ctx.lookup(key)
    if (entry === undefined) return NIL
    if (entry.type !== 'string') return WRONGTYPE
    ctx.remove(key, entry)
    ctx.dirty++
    ctx.rewrite(['DEL', key])
    return bulk(entry.value)
  },
}
