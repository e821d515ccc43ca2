// LPUSH key element [element ...]
import type { Command } from '../command.ts'
import { pushGeneric } from './push-generic.ts'

export const lpush: Command = {
  name: 'lpush',
  arity: -3,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    return pushGeneric(ctx, argv, true)
  },
}
