// HINCRBYFLOAT key field increment: long double arithmetic like INCRBYFLOAT; propagated as
// HSET key field <new value>.
import { bulk } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { addLongDouble, formatLongDoubleHuman, parseLongDouble, type LongDouble } from '../long-double.ts'
import { HASH_NOT_FLOAT, NAN_OR_INFINITY, NOT_A_FLOAT, VALUE_NAN_OR_INFINITY } from '../replies.ts'
import { hashForWrite } from './hash-lookup.ts'

const ZERO: LongDouble = { kind: 'finite', negative: false, mantissa: 0n, exponent: 0 }

export const hincrbyfloat: Command = {
  name: 'hincrbyfloat',
  arity: 4,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const increment = parseLongDouble(argv[3]!)
    if (increment === null) return NOT_A_FLOAT
    if (increment.kind !== 'finite') return VALUE_NAN_OR_INFINITY
    const key = argv[1]!
    const hash = hashForWrite(ctx, key)
    if ('kind' in hash) return hash
    const field = argv[2]!
    const stored = hash.value.get(field)
    let value: LongDouble = ZERO
    if (stored !== undefined) {
      const parsed = parseLongDouble(stored)
      if (parsed === null) return HASH_NOT_FLOAT
      value = parsed
    }
    const sum = addLongDouble(value, increment)
    if (sum.kind !== 'finite') return NAN_OR_INFINITY
    const text = formatLongDoubleHuman(sum) ?? ''
    ctx.modify(key, hash)
    hash.value.set(field, text)
    ctx.dirty++
    ctx.rewrite(['HSET', key, field, text])
    return bulk(text)
  },
}
