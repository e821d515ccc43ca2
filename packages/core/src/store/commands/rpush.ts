// RPUSH key element [element ...]
import type { Command } from '../command.ts'
import { pushGeneric } from './push-generic.ts'

export const rpush: Command = {
  name: 'rpush',
  arity: -3,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    return pushGeneric(ctx, argv, false)
  },
}
