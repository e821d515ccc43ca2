// MULTI: starts queueing this session's commands until EXEC or DISCARD.
import { OK } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { MULTI_NESTED } from '../replies.ts'

export const multi: Command = {
  name: 'multi',
  arity: 1,
  flags: ['noscript', 'loading', 'stale', 'fast', 'allow-busy'],
  execute(ctx) {
    if (ctx.session.queue !== null) return MULTI_NESTED
    ctx.session.queue = []
    ctx.session.queueFailed = false
    return OK
  },
}
