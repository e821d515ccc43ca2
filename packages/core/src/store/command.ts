// The shape of a command, one per file under commands/ (as node-redis lays them out): its name, its
// arity as Redis declares it, its flags as COMMAND INFO lists them, and `execute`.
//
// `execute(ctx, argv)` receives the whole argv, name included (argv[1] is the first argument, as in
// Redis's c->argv), and returns the reply. It changes data only through `ctx` and says what to
// propagate the way Redis's commands do: `ctx.dirty += n` for the changes it made (nothing is
// propagated while dirty stays 0), and `ctx.rewrite(argv)` when the propagated form differs from
// what the client sent (SET ... EX → SET ... PXAT, INCRBYFLOAT → SET ... KEEPTTL).
import type { ByteString } from '../bytes.ts'
import type { RespError, RespValue } from '../resp/value.ts'
import type { CommandContext } from './context.ts'

export const COMMAND_FLAGS = Object.freeze([
  'write',
  'readonly',
  'denyoom',
  'fast',
  'admin',
  'noscript',
  'loading',
  'stale',
  'allow-busy',
  'skip-slowlog',
  /** Not allowed between MULTI and EXEC (PSYNC, SYNC, ...). */
  'no-multi',
  /** Lazy-expiry deletions it causes are propagated one by one, never wrapped (SCAN). */
  'touches-arbitrary-keys',
] as const)
export type CommandFlag = (typeof COMMAND_FLAGS)[number]

export interface Command {
  /** Lowercase, as COMMAND INFO names it. */
  readonly name: string
  /** Redis's arity: N means exactly N arguments counting the name; -N means at least N. */
  readonly arity: number
  readonly flags: readonly CommandFlag[]
  /**
   * For a container command (CONFIG GET, COMMAND INFO, ...): the error for an unknown subcommand or
   * one with the wrong number of arguments, or null. Checked with the arity, before queueing in
   * MULTI, as Redis's processCommand looks up the subcommand (lookupCommand).
   */
  readonly checkSubcommand?: (argv: readonly ByteString[]) => RespError | null
  execute(ctx: CommandContext, argv: readonly ByteString[]): RespValue
}

export function hasFlag(command: Command, flag: CommandFlag): boolean {
  return command.flags.includes(flag)
}
