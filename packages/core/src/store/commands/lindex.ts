// LINDEX key index: here the key is looked up before the index is parsed (lindexCommand).
import { bulk, NIL } from '../../resp/value.ts'
import { parseLong } from '../arguments.ts'
import type { Command } from '../command.ts'
import { NOT_AN_INTEGER, WRONGTYPE } from '../replies.ts'
import { normalizeIndex } from './list-range.ts'

export const lindex: Command = {
  name: 'lindex',
  arity: 3,
  flags: ['readonly'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    if (entry === undefined) return NIL
    if (entry.type !== 'list') return WRONGTYPE
    const parsed = parseLong(argv[2]!)
    if (parsed === null) return NOT_AN_INTEGER
    const index = normalizeIndex(parsed, entry.value.length)
    if (index === null) return NIL
    return bulk(entry.value.at(index))
  },
}
