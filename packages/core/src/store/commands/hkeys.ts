// HKEYS key
import { array, bulk, EMPTY_ARRAY, type RespValue } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const hkeys: Command = {
  name: 'hkeys',
  arity: 2,
  flags: ['readonly'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return EMPTY_ARRAY
    if (entry.type !== 'hash') return WRONGTYPE
    const out: RespValue[] = []
    for (const field of entry.value.keys()) out.push(bulk(field))
    return array(out)
  },
}
