// LRANGE key start stop: the indexes are parsed before the key is looked up.
import { array, bulk, EMPTY_ARRAY, type RespValue } from '../../resp/value.ts'
import { parseLong } from '../arguments.ts'
import type { Command } from '../command.ts'
import { NOT_AN_INTEGER, WRONGTYPE } from '../replies.ts'
import { normalizeRange } from './list-range.ts'

export const lrange: Command = {
  name: 'lrange',
  arity: 4,
  flags: ['readonly'],
  execute(ctx, argv) {
    const start = parseLong(argv[2]!)
    const end = start === null ? null : parseLong(argv[3]!)
    if (start === null || end === null) return NOT_AN_INTEGER
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return EMPTY_ARRAY
    if (entry.type !== 'list') return WRONGTYPE
    const range = normalizeRange(start, end, entry.value.length)
    if (range === null) return EMPTY_ARRAY
    const out: RespValue[] = []
    for (let i = range[0]; i <= range[1]; i++) out.push(bulk(entry.value.at(i)))
    return array(out)
  },
}
