// popGenericCommand (t_list.c): LPOP and RPOP, with the optional count (Redis 6.2+). Without a count
// the reply is one bulk (nil for a missing key); with one it is an array (a nil array for a missing
// key, an empty array for count 0). The key goes away with its last element.
import type { ByteString } from '../../bytes.ts'
import { array, bulk, EMPTY_ARRAY, NIL, NIL_ARRAY, type RespValue } from '../../resp/value.ts'
import { parseLong } from '../arguments.ts'
import type { CommandContext } from '../context.ts'
import { int64ToNumber } from '../integer.ts'
import { MUST_BE_POSITIVE, WRONGTYPE, wrongArity } from '../replies.ts'

export function popGeneric(ctx: CommandContext, argv: readonly ByteString[], head: boolean, name: string): RespValue {
  if (argv.length > 3) return wrongArity(name)
  const hasCount = argv.length === 3
  let count = 0
  if (hasCount) {
    const parsed = parseLong(argv[2]!)
    if (parsed === null || parsed < 0) return MUST_BE_POSITIVE
    count = int64ToNumber(parsed)
  }
  const key = argv[1]!
  const entry = ctx.lookup(key)
  if (entry === undefined) return hasCount ? NIL_ARRAY : NIL
  if (entry.type !== 'list') return WRONGTYPE
  if (hasCount && count === 0) return EMPTY_ARRAY
  const items = entry.value
  ctx.modify(key, entry)
  let reply: RespValue
  let removed: number
  if (!hasCount) {
    reply = bulk((head ? items.shift() : items.pop())!)
    removed = 1
  } else {
    const n = Math.min(count, items.length)
    const out: RespValue[] = []
    for (let i = 0; i < n; i++) out.push(bulk((head ? items.shift() : items.pop())!))
    reply = array(out)
    removed = n
  }
  if (items.length === 0) ctx.remove(key, entry)
  ctx.dirty += removed
  return reply
}
