// Stream commands a node could not apply: ones Replicast does not implement, relayed unchanged from
// a real Redis (upstream mode, and the replicas of such a node). Redis's own replica logs each and
// goes on (propagation-error-behavior ignore); so do ours. A stream full of them (a feed of XADDs)
// must not become a report per command: one is due for the first command of each name, then at
// every power of ten of the running total.
//
// Both shells (the upstream link of a master, the replica) keep one UnappliedCommandReports: it
// counts, remembers the last name and decides which ones are reported; the shell builds the error
// (a subclass of UnappliedCommandError with its own code and message) and reports it. Left to the
// shells: where the report goes, and what the offsets in the message are.
import type { ByteString } from '../bytes.ts'
import { ReplicastError } from '../errors.ts'

/** Names remembered as reported; past this many, only the powers of ten are reported. */
const MAX_REPORTED_NAMES = 256

/** A command's name as the reports and errors give it: lowercase (`hsetnx`), `''` for an empty argv. */
export function unappliedCommandName(command: string | readonly ByteString[]): string {
  return (typeof command === 'string' ? command : (command[0] ?? '')).toLowerCase()
}

/** What UnappliedCommandReports.note() decided about one unapplied command. */
export interface UnappliedCommandNote {
  /** Unapplied commands so far (since construction or `reset()`), this one included. */
  readonly count: number
  /** Whether this one is reported (the first of its name, or a power of ten of `count`). */
  readonly due: boolean
}

export class UnappliedCommandReports {
  readonly #names = new Set<string>()
  #count = 0
  #lastCommand: string | null = null

  /** Unapplied commands noted since construction or `reset()`. */
  get count(): number {
    return this.#count
  }

  /** The name (lowercase) of the last command noted, or null when none was since the last reset. */
  get lastCommand(): string | null {
    return this.#lastCommand
  }

  /** Counts one unapplied command (its argv, or its name) and says whether it is due a report. */
  note(command: string | readonly ByteString[]): UnappliedCommandNote {
    const name = unappliedCommandName(command)
    const count = ++this.#count
    this.#lastCommand = name
    return { count, due: this.#due(name, count) }
  }

  /** Back to the start (CONFIG RESETSTAT): no count, no last command, every name due again. */
  reset(): void {
    this.#names.clear()
    this.#count = 0
    this.#lastCommand = null
  }

  /** Whether the `count`-th unapplied command, named `name`, is due a report; remembers `name` as reported. */
  #due(name: string, count: number): boolean {
    const firstOfName = !this.#names.has(name) && this.#names.size < MAX_REPORTED_NAMES
    if (firstOfName) this.#names.add(name)
    return firstOfName || /^10*$/.test(String(count))
  }
}

/**
 * Base of the errors that report a stream command a node could not apply. Each shell has its own
 * subclass, with its own `code` and a message that says where the command was in its stream
 * (UpstreamUnappliedCommandError: ERR_UPSTREAM_UNAPPLIED_COMMAND; ReplicaUnappliedCommandError:
 * ERR_REPLICA_UNAPPLIED_COMMAND). The node went on; the keys the command wrote differ from the
 * stream's source until the next full sync.
 */
export class UnappliedCommandError extends ReplicastError {
  /** The command's name, lowercase (`hsetnx`). */
  readonly command: string
  /** The error the node's dataset answered. */
  readonly reply: string
  /** Commands left unapplied so far (UnappliedCommandReports.count), this one included. */
  readonly count: number

  constructor(code: string, command: string, reply: string, count: number, message: string, options?: ErrorOptions) {
    super(code, message, options)
    this.command = command
    this.reply = reply
    this.count = count
  }
}
