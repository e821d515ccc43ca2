// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
import type { Command } from '../command.ts'
import { expireGeneric } from './expire-generic.ts'

const VARIANT = { name: 'pexpireat', unit: 'milliseconds', relative: false } as const

export const pexpireat: Command = {
  name: 'pexpireat',
  arity: -3,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return expireGeneric(ctx, argv, VARIANT)
  },
}
