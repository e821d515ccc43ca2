// HGETALL key: field, value, field, value ...
import type { Command } from '../command.ts'
import { hgetallGeneric } from './hgetall-generic.ts'

export const hgetall: Command = {
  name: 'hgetall',
  arity: 2,
  flags: ['readonly'],
  execute(ctx, argv) {
    return hgetallGeneric(ctx, argv[1]!, 'both')
  },
}
