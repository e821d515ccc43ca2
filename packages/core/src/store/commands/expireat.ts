// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
import type { Command } from '../command.ts'
import { expireGeneric } from './expire-generic.ts'

const VARIANT = { name: 'expireat', unit: 'seconds', relative: false } as const

export const expireat: Command = {
  name: 'expireat',
  arity: -3,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return expireGeneric(ctx, argv, VARIANT)
  },
}
