// FLUSHDB [ASYNC | SYNC]: always propagated, even on an empty database (forceCommandPropagation).
import { OK } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { SYNTAX_ERROR } from '../replies.ts'
import { flushArgumentsValid } from './flush-options.ts'

export const flushdb: Command = {
  name: 'flushdb',
  arity: -1,
  flags: ['write'],
  execute(ctx, argv) {
    if (!flushArgumentsValid(argv)) return SYNTAX_ERROR
    ctx.keyspace.flush(ctx.db)
    ctx.scans.forget(ctx.db)
    ctx.dirty++
    return OK
  },
}
