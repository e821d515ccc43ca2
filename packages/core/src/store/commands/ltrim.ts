// LTRIM key start stop: propagated only when it removed something; an emptied list is deleted.
import { OK } from '../../resp/value.ts'
import { parseLong } from '../arguments.ts'
import type { Command } from '../command.ts'
import { NOT_AN_INTEGER, WRONGTYPE } from '../replies.ts'
import { normalizeRange } from './list-range.ts'

export const ltrim: Command = {
  name: 'ltrim',
  arity: 4,
  flags: ['write'],
  execute(ctx, argv) {
    const start = parseLong(argv[2]!)
    const end = start === null ? null : parseLong(argv[3]!)
    if (start === null || end === null) return NOT_AN_INTEGER
    const key = argv[1]!
    const entry = ctx.lookup(key)
    if (entry === undefined) return OK
    if (entry.type !== 'list') return WRONGTYPE
    const length = entry.value.length
    const range = normalizeRange(start, end, length)
    const trimHead = range === null ? length : range[0]
    const trimTail = range === null ? 0 : length - range[1] - 1
    if (trimHead + trimTail > 0) {
      ctx.modify(key, entry)
      entry.value.trim(trimHead, trimTail)
      if (entry.value.length === 0) ctx.remove(key, entry)
    }
    ctx.dirty += trimHead + trimTail
    return OK
  },
}
