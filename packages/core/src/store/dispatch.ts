// From argv to reply, as Redis's processCommand() and call() do it (server.c), in the same order, so
// that the same error wins when several apply:
//   unknown command → wrong arity → not allowed in MULTI → READONLY (replica clients writing)
//   → queued (inside MULTI) → executed, and its effect propagated if it changed anything.
// A rejection inside MULTI flags the transaction, so EXEC answers EXECABORT; a rejected EXEC itself
// discards the transaction (execCommandAbort).
import type { ByteString } from '../bytes.ts'
import { array, type RespValue } from '../resp/value.ts'
import { hasFlag, type Command } from './command.ts'
import type { CommandContext, TransactionRunner } from './context.ts'
import {
  EXEC_WITHOUT_MULTI,
  EXECABORT,
  execAbort,
  NOT_ALLOWED_IN_MULTI,
  QUEUED,
  READONLY,
  unknownCommand,
  wrongArity,
} from './replies.ts'
import { error, type RespError } from '../resp/value.ts'
import type { Session } from './session.ts'

/** Commands that act on the transaction itself and are never queued (processCommand's list). */
const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset'])

const REPLICA_TRANSACTION_ERROR = error(
  'ERR Transaction contains write commands but instance is now a read-only replica. EXEC aborted.',
)

export function lookupCommand(table: ReadonlyMap<string, Command>, name: ByteString): Command | undefined {
  return table.get(name) ?? table.get(name.toLowerCase())
}

/** What the dispatcher checks on every call, computed once per command. */
interface CommandTraits {
  readonly command: Command
  readonly write: boolean
  readonly noMulti: boolean
  readonly arbitraryKeys: boolean
  readonly transactionControl: boolean
}

const MAX_SPELLINGS = 1024

export function arityAccepts(command: Command, argc: number): boolean {
  const arity = command.arity
  return arity > 0 ? argc === arity : argc >= -arity
}

export class Dispatcher implements TransactionRunner {
  readonly #traits = new Map<string, CommandTraits>()
  /** Exact spellings seen so far ("SET", "Set"...), so that most lookups skip lowercasing. */
  readonly #spellings = new Map<string, CommandTraits>()
  readonly #ctx: CommandContext
  readonly #rejectUnknown: (argv: readonly ByteString[]) => RespError

  constructor(table: ReadonlyMap<string, Command>, ctx: CommandContext, rejectUnknown: (argv: readonly ByteString[]) => RespError = unknownCommand) {
    for (const [name, command] of table) {
      this.#traits.set(name, {
        command,
        write: hasFlag(command, 'write'),
        noMulti: hasFlag(command, 'no-multi'),
        arbitraryKeys: hasFlag(command, 'touches-arbitrary-keys'),
        transactionControl: TRANSACTION_CONTROL.has(name),
      })
    }
    this.#ctx = ctx
    this.#rejectUnknown = rejectUnknown
    ctx.transactions = this
  }

  #lookup(name: ByteString): CommandTraits | undefined {
    const known = this.#spellings.get(name)
    if (known !== undefined) return known
    const traits = this.#traits.get(name) ?? this.#traits.get(name.toLowerCase())
    if (traits !== undefined && this.#spellings.size < MAX_SPELLINGS) this.#spellings.set(name, traits)
    return traits
  }

  /** processCommand: validates, queues inside MULTI, or executes. */
  process(session: Session, argv: readonly ByteString[]): RespValue {
    const ctx = this.#ctx
    const traits = argv.length > 0 ? this.#lookup(argv[0]!) : undefined
    if (traits === undefined) return this.#reject(session, null, this.#rejectUnknown(argv))
    const command = traits.command
    if (!arityAccepts(command, argv.length)) return this.#reject(session, command, wrongArity(command.name))
    if (command.checkSubcommand !== undefined) {
      const subcommandError = command.checkSubcommand(argv)
      if (subcommandError !== null) return this.#reject(session, command, subcommandError)
    }
    const queue = session.queue
    if (queue !== null && traits.noMulti) return this.#reject(session, command, NOT_ALLOWED_IN_MULTI)
    if (traits.write && ctx.mode === 'replica-client') return this.#reject(session, command, READONLY)
    if (queue !== null && !traits.transactionControl) {
      queue.push({ command, argv })
      return QUEUED
    }
    ctx.atomic = !traits.arbitraryKeys
    return this.call(command, argv)
  }

  /** rejectCommand: flags an open transaction; a rejected EXEC aborts it (even with none open). */
  #reject(session: Session, command: Command | null, reply: RespError): RespValue {
    if (session.queue !== null) session.queueFailed = true
    if (command !== null && command.name === 'exec') {
      this.#discardSession(session)
      return execAbort(reply)
    }
    return reply
  }

  /** call(): runs one command and propagates its effect when it changed the dataset. */
  call(command: Command, argv: readonly ByteString[]): RespValue {
    const ctx = this.#ctx
    ctx.beginCommand(argv)
    const reply = command.execute(ctx, argv)
    const propagated = ctx.propagatedArgv()
    if (propagated !== null) ctx.propagate(propagated)
    return reply
  }

  exec(ctx: CommandContext): RespValue {
    const session = ctx.session
    const queue = session.queue
    if (queue === null) return EXEC_WITHOUT_MULTI
    if (session.queueFailed) {
      this.#discardSession(session)
      return EXECABORT
    }
    this.#discardSession(session)
    if (ctx.mode === 'replica-client' && queue.some((queued) => this.#traits.get(queued.command.name)?.write === true)) {
      return REPLICA_TRANSACTION_ERROR
    }
    const replies: RespValue[] = []
    for (const queued of queue) replies.push(this.call(queued.command, queued.argv))
    // EXEC itself is never propagated: its commands were (propagatePendingCommands wraps them).
    ctx.preventPropagation()
    return array(replies)
  }

  discard(ctx: CommandContext): void {
    this.#discardSession(ctx.session)
  }

  #discardSession(session: Session): void {
    session.queue = null
    session.queueFailed = false
  }
}
