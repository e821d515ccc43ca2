// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
import { integer, ZERO } from '../../resp/value.ts'
import { parseLong } from '../arguments.ts'
import type { Command } from '../command.ts'
import { int64ToNumber } from '../integer.ts'
import { NOT_AN_INTEGER, WRONGTYPE } from '../replies.ts'

export const lrem: Command = {
  name: 'lrem',
  arity: 4,
  flags: ['write'],
  execute(ctx, argv) {
    const parsed = parseLong(argv[2]!)
    if (parsed === null) return NOT_AN_INTEGER
    const key = argv[1]!
    const entry = ctx.lookup(key)
    if (entry === undefined) return ZERO
    if (entry.type !== 'list') return WRONGTYPE
    const count = int64ToNumber(parsed)
    const items = entry.value
    const element = argv[3]!
    let present = false
    for (const item of items) {
      if (item === element) {
        present = true
        break
      }
    }
    if (!present) return ZERO
    ctx.modify(key, entry)
    const removed = items.remove(element, Math.min(Math.abs(count), items.length), count < 0)
    if (items.length === 0) ctx.remove(key, entry)
    ctx.dirty += removed
    return integer(removed)
  },
}
