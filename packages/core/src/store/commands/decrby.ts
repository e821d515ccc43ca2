// DECRBY key decrement: LLONG_MIN cannot be negated, so Redis refuses it up front.
import type { Command } from '../command.ts'
import { parseLong } from '../arguments.ts'
import { LLONG_MIN, normalizeInt64, toBigInt } from '../integer.ts'
import { DECREMENT_OVERFLOW, NOT_AN_INTEGER } from '../replies.ts'
import { incrDecr } from './incr-generic.ts'

export const decrby: Command = {
  name: 'decrby',
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const decrement = parseLong(argv[2]!)
    if (decrement === null) return NOT_AN_INTEGER
    if (typeof decrement === 'bigint' && decrement === LLONG_MIN) return DECREMENT_OVERFLOW
    return incrDecr(ctx, argv[1]!, typeof decrement === 'number' ? -decrement : normalizeInt64(-toBigInt(decrement)))
  },
}
