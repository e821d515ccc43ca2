// DECR key
import type { Command } from '../command.ts'
import { incrDecr } from './incr-generic.ts'

export const decr: Command = {
  name: 'decr',
  arity: 2,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    return incrDecr(ctx, argv[1]!, -1)
  },
}
