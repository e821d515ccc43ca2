// INCRBYFLOAT key increment: long double arithmetic (long-double.ts). The key keeps its TTL.
// Always propagated as SET key <new value> KEEPTTL, so replicas never redo float arithmetic.
import { bulk } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { stringEntry } from '../entry.ts'
import { addLongDouble, formatLongDoubleHuman, parseLongDouble, type LongDouble } from '../long-double.ts'
import { NAN_OR_INFINITY, NOT_A_FLOAT, WRONGTYPE } from '../replies.ts'

const ZERO: LongDouble = { kind: 'finite', negative: false, mantissa: 0n, exponent: 0 }

export const incrbyfloat: Command = {
  name: 'incrbyfloat',
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const key = argv[1]!
    const entry = ctx.lookup(key)
    if (entry !== undefined && entry.type !== 'string') return WRONGTYPE
    const current = entry === undefined ? ZERO : parseLongDouble(entry.value)
    if (current === null) return NOT_A_FLOAT
    const increment = parseLongDouble(argv[2]!)
    if (increment === null) return NOT_A_FLOAT
    const sum = addLongDouble(current, increment)
    if (sum.kind !== 'finite') return NAN_OR_INFINITY
    const text = formatLongDoubleHuman(sum) ?? ''
    const next = stringEntry(text)
    if (entry !== undefined) ctx.overwrite(key, entry, next)
    else ctx.add(key, next)
    ctx.dirty++
    ctx.rewrite(['SET', key, text, 'KEEPTTL'])
    return bulk(text)
  },
}
