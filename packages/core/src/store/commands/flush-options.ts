// getFlushCommandFlags (db.c): FLUSHDB/FLUSHALL take nothing, SYNC or ASYNC. Both behave the same
// here (there is no background thread to hand the memory to).
import type { ByteString } from '../../bytes.ts'
import { optionIs } from '../arguments.ts'

export function flushArgumentsValid(argv: readonly ByteString[]): boolean {
  if (argv.length === 1) return true
  return argv.length === 2 && (optionIs(argv[1]!, 'sync') || optionIs(argv[1]!, 'async'))
}
