// SREM key member [member ...]: the key goes away with its last member.
import { integer, ZERO } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const srem: Command = {
  name: 'srem',
  arity: -3,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    const key = argv[1]!
    const entry = ctx.lookup(key)
    if (entry === undefined) return ZERO
    if (entry.type !== 'set') return WRONGTYPE
    let removed = 0
    for (let j = 2; j < argv.length; j++) {
      if (!entry.value.has(argv[j]!)) continue
      if (removed === 0) ctx.modify(key, entry)
      entry.value.delete(argv[j]!)
      removed++
      if (entry.value.size === 0) {
        ctx.remove(key, entry)
        break
      }
    }
    ctx.dirty += removed
    return integer(removed)
  },
}
