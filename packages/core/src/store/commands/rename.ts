// RENAME key newkey (renameGenericCommand, db.c): the value and its TTL move; an existing newkey is
// deleted first, so the key goes to the end of the keyspace's order. Renaming a key to itself is a
// no-op (not propagated), but the key must exist.
import { OK } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { newEntry, type Entry } from '../entry.ts'
import { NO_SUCH_KEY } from '../replies.ts'

export const rename: Command = {
  name: 'rename',
  arity: 3,
  flags: ['write'],
  execute(ctx, argv) {
    const source = argv[1]!
    const target = argv[2]!
    const entry = ctx.lookup(source)
    if (entry === undefined) return NO_SUCH_KEY
    if (source === target) return OK
    const existing = ctx.lookup(target)
    if (existing !== undefined) ctx.remove(target, existing)
    // A new entry object for the new key: each entry's `seq` belongs to one position in one Map.
    const moved = newEntry<Entry>(entry.type, entry.value)
    moved.expireAt = entry.expireAt
    ctx.add(target, moved)
    ctx.remove(source, entry)
    ctx.dirty++
    return OK
  },
}
