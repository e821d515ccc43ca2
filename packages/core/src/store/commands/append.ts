// APPEND key value: the new length. Creates the key (even with an empty value) when missing.
import { integer } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { stringEntry, type StringEntry } from '../entry.ts'
import { WRONGTYPE } from '../replies.ts'

export const append: Command = {
  name: 'append',
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const key = argv[1]!
    const entry = ctx.lookup(key)
    let length: number
    if (entry === undefined) {
      ctx.add(key, stringEntry(argv[2]!))
      length = argv[2]!.length
    } else {
      if (entry.type !== 'string') return WRONGTYPE
      ctx.modify(key, entry)
      ;(entry as StringEntry).value += argv[2]!
      length = entry.value.length
    }
    ctx.dirty++
    return integer(length)
  },
}
