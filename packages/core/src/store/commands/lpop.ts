// LPOP key [count]
import type { Command } from '../command.ts'
import { popGeneric } from './pop-generic.ts'

export const lpop: Command = {
  name: 'lpop',
  arity: -2,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return popGeneric(ctx, argv, true, 'lpop')
  },
}
