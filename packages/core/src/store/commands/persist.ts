// PERSIST key: 1 when a TTL was removed.
import { ONE, ZERO } from '../../resp/value.ts'
import type { Command } from '../command.ts'

export const persist: Command = {
  name: 'persist',
  arity: 2,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    const key = argv[1]!
    const entry = ctx.lookup(key)
    if (entry === undefined || !ctx.removeExpire(key, entry)) return ZERO
    ctx.dirty++
    return ONE
  },
}
