// HDEL key field [field ...]: the key goes away with its last field.
import { integer, ZERO } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const hdel: Command = {
  name: 'hdel',
  arity: -3,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    const key = argv[1]!
    const entry = ctx.lookup(key)
    if (entry === undefined) return ZERO
    if (entry.type !== 'hash') return WRONGTYPE
    let deleted = 0
    for (let j = 2; j < argv.length; j++) {
      if (!entry.value.has(argv[j]!)) continue
      if (deleted === 0) ctx.modify(key, entry)
      entry.value.delete(argv[j]!)
      deleted++
      if (entry.value.size === 0) {
        ctx.remove(key, entry)
        break
      }
    }
    ctx.dirty += deleted
    return integer(deleted)
  },
}
