// ZINCRBY key increment member: the new score, as "%.17g".
import type { Command } from '../command.ts'
import { zaddGeneric } from './zadd-generic.ts'

export const zincrby: Command = {
  name: 'zincrby',
  arity: 4,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    return zaddGeneric(ctx, argv, true)
  },
}
