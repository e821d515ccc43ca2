// MGET key [key ...]: values of other types read as nil, not as an error.
import { array, bulk, NIL, type RespValue } from '../../resp/value.ts'
import type { Command } from '../command.ts'

export const mget: Command = {
  name: 'mget',
  arity: -2,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const replies: RespValue[] = []
    for (let j = 1; j < argv.length; j++) {
      const entry = ctx.lookup(argv[j]!)
      replies.push(entry !== undefined && entry.type === 'string' ? bulk(entry.value) : NIL)
    }
    return array(replies)
  },
}
