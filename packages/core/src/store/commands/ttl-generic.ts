// ttlGenericCommand (expire.c): -2 for a missing key, -1 without a TTL, else the time left, never
// negative; in seconds it is rounded to the nearest ((ms + 500) / 1000).
import type { ByteString } from '../../bytes.ts'
import { integer, type RespValue } from '../../resp/value.ts'
import type { CommandContext } from '../context.ts'
import { NO_EXPIRY } from '../entry.ts'

const MISSING = integer(-2)
const PERSISTENT = integer(-1)

export function ttlGeneric(ctx: CommandContext, key: ByteString, milliseconds: boolean): RespValue {
  const entry = ctx.lookup(key)
  if (entry === undefined) return MISSING
  if (entry.expireAt === NO_EXPIRY) return PERSISTENT
  const left = Math.max(0, entry.expireAt - ctx.now)
  return integer(milliseconds ? left : Math.floor((left + 500) / 1000))
}
