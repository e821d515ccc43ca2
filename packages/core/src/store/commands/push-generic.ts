// pushGenericCommand (t_list.c): LPUSH and RPUSH. LPUSH inserts its elements one by one at the
// head, so `LPUSH l a b c` leaves c, b, a.
import type { ByteString } from '../../bytes.ts'
import { integer, type RespValue } from '../../resp/value.ts'
import type { CommandContext } from '../context.ts'
import { Deque } from '../deque.ts'
import { newEntry, type ListEntry } from '../entry.ts'
import { WRONGTYPE } from '../replies.ts'

export function pushGeneric(ctx: CommandContext, argv: readonly ByteString[], head: boolean): RespValue {
  const key = argv[1]!
  const entry = ctx.lookup(key)
  if (entry !== undefined && entry.type !== 'list') return WRONGTYPE
  let list: ListEntry
  if (entry === undefined) {
    list = newEntry<ListEntry>('list', new Deque(argv.length - 2))
    ctx.add(key, list)
  } else {
    list = entry
    ctx.modify(key, list)
  }
  const items = list.value
  for (let j = 2; j < argv.length; j++) {
    if (head) items.unshift(argv[j]!)
    else items.push(argv[j]!)
  }
  ctx.dirty += argv.length - 2
  return integer(items.length)
}
