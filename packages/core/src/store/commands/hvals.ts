// HVALS key
import type { Command } from '../command.ts'
import { hgetallGeneric } from './hgetall-generic.ts'

export const hvals: Command = {
  name: 'hvals',
  arity: 2,
  flags: ['readonly'],
  execute(ctx, argv) {
    return hgetallGeneric(ctx, argv[1]!, 'values')
  },
}
