// HGETALL key: field, value, field, value ... (order unspecified in Redis; insertion order here).
import { array, bulk, EMPTY_ARRAY, type RespValue } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { WRONGTYPE } from '../replies.ts'

export const hgetall: Command = {
  name: 'hgetall',
  arity: 2,
  flags: ['readonly'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return EMPTY_ARRAY
    if (entry.type !== 'hash') return WRONGTYPE
    const out: RespValue[] = []
    for (const [field, value] of entry.value) out.push(bulk(field), bulk(value))
    return array(out)
  },
}
