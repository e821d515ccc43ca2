// HDEL key field [field ...]: the key goes away with its last field.
import type { Command } from '../command.ts'
import { removeMembers } from './remove-members.ts'

export const hdel: Command = {
  name: 'hdel',
  arity: -3,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return removeMembers(ctx, argv, 'hash')
  },
}
