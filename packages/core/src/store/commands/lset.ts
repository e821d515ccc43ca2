// LSET key index element
import { OK } from '../../resp/value.ts'
import { parseLong } from '../arguments.ts'
import type { Command } from '../command.ts'
import { INDEX_OUT_OF_RANGE, NO_SUCH_KEY, NOT_AN_INTEGER, WRONGTYPE } from '../replies.ts'
import { normalizeIndex } from './list-range.ts'

export const lset: Command = {
  name: 'lset',
  arity: 4,
  flags: ['write', 'denyoom'],
  execute(ctx, argv) {
    const key = argv[1]!
    const entry = ctx.lookup(key)
    if (entry === undefined) return NO_SUCH_KEY
    if (entry.type !== 'list') return WRONGTYPE
    const parsed = parseLong(argv[2]!)
    if (parsed === null) return NOT_AN_INTEGER
    const index = normalizeIndex(parsed, entry.value.length)
    if (index === null) return INDEX_OUT_OF_RANGE
    ctx.modify(key, entry)
    entry.value.set(index, argv[3]!)
    ctx.dirty++
    return OK
  },
}
