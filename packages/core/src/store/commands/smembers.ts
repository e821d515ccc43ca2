// SMEMBERS key (order unspecified in Redis; insertion order here).
import { array, bulk, EMPTY_ARRAY, type RespValue } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const smembers: Command = {
  name: 'smembers',
  arity: 2,
  flags: ['readonly'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return EMPTY_ARRAY
    if (entry.type !== 'set') return WRONGTYPE
    const out: RespValue[] = []
    for (const member of entry.value) out.push(bulk(member))
    return array(out)
  },
}
