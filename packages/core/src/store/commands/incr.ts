// INCR key
import type { Command } from '../command.ts'
import { incrDecr } from './incr-generic.ts'

export const incr: Command = {
  name: 'incr',
  arity: 2,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    return incrDecr(ctx, argv[1]!, 1)
  },
}
