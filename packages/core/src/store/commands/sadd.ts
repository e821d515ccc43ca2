// SADD key member [member ...]: the number of members added.
import { integer } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { newEntry, type SetEntry } from '../entry.ts'
import { WRONGTYPE } from '../replies.ts'

export const sadd: Command = {
  name: 'sadd',
  arity: -3,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const key = argv[1]!
    const entry = ctx.lookup(key)
    if (entry !== undefined && entry.type !== 'set') return WRONGTYPE
    let set: SetEntry
    if (entry === undefined) {
      set = newEntry<SetEntry>('set', new Set())
      ctx.add(key, set)
    } else {
      set = entry
    }
    const members = set.value
    let added = 0
    for (let j = 2; j < argv.length; j++) {
      const member = argv[j]!
      if (members.has(member)) continue
      if (added === 0 && entry !== undefined) ctx.modify(key, set)
      members.add(member)
      added++
    }
    ctx.dirty += added
    return integer(added)
  },
}
