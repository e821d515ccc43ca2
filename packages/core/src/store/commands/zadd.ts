// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
import type { Command } from '../command.ts'
import { zaddGeneric } from './zadd-generic.ts'

export const zadd: Command = {
  name: 'zadd',
  arity: -4,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    return zaddGeneric(ctx, argv, false)
  },
}
