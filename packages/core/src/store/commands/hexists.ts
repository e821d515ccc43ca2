// HEXISTS key field
import { ONE, ZERO } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const hexists: Command = {
  name: 'hexists',
  arity: 3,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return ZERO
    if (entry.type !== 'hash') return WRONGTYPE
    return entry.value.has(argv[2]!) ? ONE : ZERO
  },
}
