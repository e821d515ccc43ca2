// SELECT index: changes the session's database. Never propagated itself: the replication stream
// gets its own SELECTs from the effects' databases.
import { OK } from '../../resp/value.ts'
import { parseInt32 } from '../arguments.ts'
import type { Command } from '../command.ts'
import { DB_INDEX_OUT_OF_RANGE, NOT_AN_INTEGER } from '../replies.ts'

export const select: Command = {
  name: 'select',
  arity: 2,
  flags: ['loading', 'stale', 'fast'],
  execute(ctx, argv) {
    const index = parseInt32(argv[1]!)
    if (index === null) return NOT_AN_INTEGER
    if (index < 0 || index >= ctx.databases) return DB_INDEX_OUT_OF_RANGE
    ctx.session.db = index
    return OK
  },
}
