// DBSIZE: keys in the selected database, counting expired keys not yet deleted (as Redis does).
import { integer } from '../../resp/value.ts'
import type { Command } from '../command.ts'

export const dbsize: Command = {
  name: 'dbsize',
  arity: 1,
  flags: ['readonly', 'fast'],
  execute(ctx) {
    return integer(ctx.keyspace.dbs[ctx.db]!.dict.size)
  },
}
