// RPOP key [count]
import type { Command } from '../command.ts'
import { popGeneric } from './pop-generic.ts'

export const rpop: Command = {
  name: 'rpop',
  arity: -2,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return popGeneric(ctx, argv, false, 'rpop')
  },
}
