// HMGET key field [field ...]: nil for missing fields; a missing key reads as an empty hash.
import { array, bulk, NIL, type RespValue } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const hmget: Command = {
  name: 'hmget',
  arity: -3,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry !== undefined && entry.type !== 'hash') return WRONGTYPE
    const out: RespValue[] = []
    for (let j = 2; j < argv.length; j++) {
      const value = entry?.value.get(argv[j]!)
      out.push(value === undefined ? NIL : bulk(value))
    }
    return array(out)
  },
}
