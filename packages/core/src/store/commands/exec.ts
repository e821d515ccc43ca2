// EXEC: runs the queued commands as one execution unit; their effects are propagated together
// (wrapped in MULTI/EXEC when more than one), EXEC itself never.
import type { Command } from '../command.ts'

export const exec: Command = {
  name: 'exec',
  arity: 1,
  flags: ['noscript', 'loading', 'stale', 'skip-slowlog'],
  execute(ctx) {
    return ctx.transactions.exec(ctx)
  },
}
