// delGenericCommand (db.c): DEL and UNLINK. An expired key is first expired (propagating its own
// DEL), then counts as absent. The command is propagated as sent when it deleted anything.
import type { ByteString } from '../../bytes.ts'
import { integer, type RespValue } from '../../resp/value.ts'
import type { CommandContext } from '../context.ts'

export function delGeneric(ctx: CommandContext, argv: readonly ByteString[]): RespValue {
  let deleted = 0
  for (let j = 1; j < argv.length; j++) {
    const key = argv[j]!
    const entry = ctx.lookup(key)
    if (entry === undefined) continue
    ctx.remove(key, entry)
    deleted++
  }
  ctx.dirty += deleted
  return integer(deleted)
}
