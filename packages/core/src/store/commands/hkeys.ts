// HKEYS key
import type { Command } from '../command.ts'
import { hgetallGeneric } from './hgetall-generic.ts'

export const hkeys: Command = {
  name: 'hkeys',
  arity: 2,
  flags: ['readonly'],
  execute(ctx, argv) {
    return hgetallGeneric(ctx, argv[1]!, 'fields')
  },
}
