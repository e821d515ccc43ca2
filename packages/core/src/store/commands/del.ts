// DEL key [key ...]
import type { Command } from '../command.ts'
import { delGeneric } from './del-generic.ts'

export const del: Command = {
  name: 'del',
  arity: -2,
  flags: ['write'],
  execute(ctx, argv) {
    return delGeneric(ctx, argv)
  },
}
