// SETNX key value: 1 when set, 0 when the key existed. Propagated as sent.
import { ONE, ZERO } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { SET_NX, setGeneric } from './set-generic.ts'

export const setnx: Command = {
  name: 'setnx',
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    return setGeneric(ctx, SET_NX, argv[1]!, argv[2]!, null, 'setnx', ONE, ZERO)
  },
}
