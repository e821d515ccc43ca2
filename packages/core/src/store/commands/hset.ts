// HSET key field value [field value ...]: the number of fields created.
import { integer } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { hsetGeneric } from './hset-generic.ts'

export const hset: Command = {
  name: 'hset',
  arity: -4,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const created = hsetGeneric(ctx, argv, 'hset')
    return typeof created === 'number' ? integer(created) : created
  },
}
