// PEXPIRE key milliseconds [NX | XX | GT | LT]
import type { Command } from '../command.ts'
import { expireGeneric } from './expire-generic.ts'

const VARIANT = { name: 'pexpire', unit: 'milliseconds', relative: true } as const

export const pexpire: Command = {
  name: 'pexpire',
  arity: -3,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return expireGeneric(ctx, argv, VARIANT)
  },
}
