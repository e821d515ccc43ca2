// EXPIRE key seconds [NX | XX | GT | LT]
import type { Command } from '../command.ts'
import { expireGeneric } from './expire-generic.ts'

const VARIANT = { name: 'expire', unit: 'seconds', relative: true } as const

export const expire: Command = {
  name: 'expire',
  arity: -3,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return expireGeneric(ctx, argv, VARIANT)
  },
}
