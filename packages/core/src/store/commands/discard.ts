// DISCARD: drops the queued commands.
import { OK } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { DISCARD_WITHOUT_MULTI } from '../replies.ts'

export const discard: Command = {
  name: 'discard',
  arity: 1,
  flags: ['noscript', 'loading', 'stale', 'fast', 'allow-busy'],
  execute(ctx) {
    if (ctx.session.queue === null) return DISCARD_WITHOUT_MULTI
    ctx.transactions.discard(ctx)
    return OK
  },
}
