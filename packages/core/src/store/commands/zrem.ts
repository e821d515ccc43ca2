// ZREM key member [member ...]: the key goes away with its last member.
import type { Command } from '../command.ts'
import { removeMembers } from './remove-members.ts'

export const zrem: Command = {
  name: 'zrem',
  arity: -3,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return removeMembers(ctx, argv, 'zset')
  },
}
