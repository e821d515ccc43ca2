// genericHgetallCommand (t_hash.c): HKEYS, HVALS and HGETALL reply with the fields, the values or
// both (field, value, field, value ...), in insertion order here (unspecified in Redis).
import type { ByteString } from '../../bytes.ts'
import { array, bulk, EMPTY_ARRAY, type RespValue } from '../../resp/value.ts'
import type { CommandContext } from '../context.ts'
import { WRONGTYPE } from '../replies.ts'

export type HashParts = 'fields' | 'values' | 'both'

export function hgetallGeneric(ctx: CommandContext, key: ByteString, parts: HashParts): RespValue {
  const entry = ctx.lookup(key)
  if (entry === undefined) return EMPTY_ARRAY
  if (entry.type !== 'hash') return WRONGTYPE
  const withFields = parts !== 'values'
  const withValues = parts !== 'fields'
  const out: RespValue[] = []
  for (const [field, value] of entry.value) {
    if (withFields) out.push(bulk(field))
    if (withValues) out.push(bulk(value))
  }
  return array(out)
}
