// FLUSHALL [ASYNC | SYNC]: always propagated, in the caller's selected database's context.
import { OK } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { SYNTAX_ERROR } from '../replies.ts'
import { flushArgumentsValid } from './flush-options.ts'

export const flushall: Command = {
  name: 'flushall',
  arity: -1,
  flags: ['write'],
  execute(ctx, argv) {
    if (!flushArgumentsValid(argv)) return SYNTAX_ERROR
    for (let db = 0; db < ctx.databases; db++) {
      ctx.keyspace.flush(db)
      ctx.scans.forget(db)
    }
    ctx.dirty++
    return OK
  },
}
