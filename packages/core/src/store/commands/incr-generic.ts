// incrDecrCommand (t_string.c): INCR, DECR, INCRBY, DECRBY. The stored value must be a canonical
// 64-bit integer; the result is stored as its decimal text and the key keeps its TTL.
import type { ByteString } from '../../bytes.ts'
import { integer, type RespValue } from '../../resp/value.ts'
import type { CommandContext } from '../context.ts'
import { stringEntry } from '../entry.ts'
import { addInt64, formatInt64, parseInt64, type Int64 } from '../integer.ts'
import { NOT_AN_INTEGER, OVERFLOW, WRONGTYPE } from '../replies.ts'

export function incrDecr(ctx: CommandContext, key: ByteString, increment: Int64): RespValue {
  const entry = ctx.lookup(key)
  if (entry !== undefined && entry.type !== 'string') return WRONGTYPE
  let value: Int64 = 0
  if (entry !== undefined) {
    const parsed = parseInt64(entry.value)
    if (parsed === null) return NOT_AN_INTEGER
    value = parsed
  }
  const result = addInt64(value, increment)
  if (result === null) return OVERFLOW
  const next = stringEntry(formatInt64(result))
  if (entry !== undefined) ctx.overwrite(key, entry, next)
  else ctx.add(key, next)
  ctx.dirty++
  return integer(result)
}
