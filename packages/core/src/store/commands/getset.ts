// GETSET key value: the old value; the key loses its TTL. Propagated as SET key value.
import type { Command } from '../command.ts'
import { bulk, NIL } from '../../resp/value.ts'
import { WRONGTYPE } from '../replies.ts'

export const getset: Command = {
  name: 'getset',
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const key = argv[1]!
    const old = ctx.lookup(key)
    if (old !== undefined && old.type !== 'string') return WRONGTYPE
    const reply = old === undefined ? NIL : bulk(old.value)
    ctx.setString(key, ctx.lookup(key), argv[2]!, false)
    ctx.dirty++
    ctx.rewrite(['SET', key, argv[2]!])
    return reply
  },
}
