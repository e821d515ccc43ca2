// SETEX key seconds value: propagated as SET key value PXAT <ms>.
import type { Command } from '../command.ts'
import { SET_EX, setGeneric } from './set-generic.ts'

export const setex: Command = {
  name: 'setex',
  arity: 4,
  flags: ['write', 'denyoom'],
  execute(ctx, argv) {
    return setGeneric(ctx, SET_EX, argv[1]!, argv[3]!, argv[2]!, 'setex')
  },
}
