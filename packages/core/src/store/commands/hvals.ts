// HVALS key
import { array, bulk, EMPTY_ARRAY, type RespValue } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const hvals: Command = {
  name: 'hvals',
  arity: 2,
  flags: ['readonly'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return EMPTY_ARRAY
    if (entry.type !== 'hash') return WRONGTYPE
    const out: RespValue[] = []
    for (const value of entry.value.values()) out.push(bulk(value))
    return array(out)
  },
}
