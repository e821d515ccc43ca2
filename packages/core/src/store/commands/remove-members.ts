// HDEL, SREM and ZREM (hdelCommand, sremCommand, zremCommand): remove each named member that is
// there, delete the key with its last member (and stop there, as Redis does), add the count
// removed to dirty and reply with it. A missing key replies 0 before the type is checked.
import type { ByteString } from '../../bytes.ts'
import { integer, ZERO, type RespValue } from '../../resp/value.ts'
import type { CommandContext } from '../context.ts'
import type { Entry, HashEntry, SetEntry, ZSetEntry } from '../entry.ts'
import { WRONGTYPE } from '../replies.ts'

type MemberEntry = HashEntry | SetEntry | ZSetEntry

const isOfType = (entry: Entry, type: MemberEntry['type']): entry is MemberEntry => entry.type === type

export function removeMembers(ctx: CommandContext, argv: readonly ByteString[], type: MemberEntry['type']): RespValue {
  const key = argv[1]!
  const entry = ctx.lookup(key)
  if (entry === undefined) return ZERO
  if (!isOfType(entry, type)) return WRONGTYPE
  let removed = 0
  for (let j = 2; j < argv.length; j++) {
    const member = argv[j]!
    if (!entry.value.has(member)) continue
    if (removed === 0) ctx.modify(key, entry)
    if (entry.type === 'zset') entry.value.remove(member)
    else entry.value.delete(member)
    removed++
    if (entry.value.size === 0) {
      ctx.remove(key, entry)
      break
    }
  }
  ctx.dirty += removed
  return integer(removed)
}
