// hashTypeLookupWriteOrCreate (t_hash.c): the hash at `key`, created empty when missing, or
// WRONGTYPE. Shared by the hash commands that write fields; they call ctx.modify() before changing it.
import type { ByteString } from '../../bytes.ts'
import type { RespError } from '../../resp/value.ts'
import type { CommandContext } from '../context.ts'
import { newEntry, type HashEntry } from '../entry.ts'
import { WRONGTYPE } from '../replies.ts'

export function hashForWrite(ctx: CommandContext, key: ByteString): HashEntry | RespError {
  const entry = ctx.lookup(key)
  if (entry === undefined) {
    const created = newEntry<HashEntry>('hash', new Map())
    ctx.add(key, created)
    return created
  }
  if (entry.type !== 'hash') return WRONGTYPE
  return entry
}
