// SREM key member [member ...]: the key goes away with its last member.
import type { Command } from '../command.ts'
import { removeMembers } from './remove-members.ts'

export const srem: Command = {
  name: 'srem',
  arity: -3,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return removeMembers(ctx, argv, 'set')
  },
}
