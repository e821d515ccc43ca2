// PSETEX key milliseconds value: propagated as SET key value PXAT <ms>.
import type { Command } from '../command.ts'
import { SET_PX, setGeneric } from './set-generic.ts'

export const psetex: Command = {
  name: 'psetex',
  arity: 4,
  flags: ['write', 'denyoom'],
  execute(ctx, argv) {
    return setGeneric(ctx, SET_PX, argv[1]!, argv[3]!, argv[2]!, 'psetex')
  },
}
