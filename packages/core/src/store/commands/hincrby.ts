// HINCRBY key field increment: the field must hold a canonical 64-bit integer.
import { integer } from '../../resp/value.ts'
import { parseLong } from '../arguments.ts'
import type { Command } from '../command.ts'
import { addInt64, formatInt64, parseInt64, type Int64 } from '../integer.ts'
import { HASH_NOT_INTEGER, NOT_AN_INTEGER, OVERFLOW } from '../replies.ts'
import { hashForWrite } from './hash-lookup.ts'

export const hincrby: Command = {
  name: 'hincrby',
  arity: 4,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const increment = parseLong(argv[3]!)
    if (increment === null) return NOT_AN_INTEGER
    const hash = hashForWrite(ctx, argv[1]!)
    if ('kind' in hash) return hash
    const field = argv[2]!
    const stored = hash.value.get(field)
    let value: Int64 = 0
    if (stored !== undefined) {
      const parsed = parseInt64(stored)
      if (parsed === null) return HASH_NOT_INTEGER
      value = parsed
    }
    const result = addInt64(value, increment)
    if (result === null) return OVERFLOW
    ctx.modify(argv[1]!, hash)
    hash.value.set(field, formatInt64(result))
    ctx.dirty++
    return integer(result)
  },
}
