// Per-client state the dataset needs: the selected database and the MULTI queue. The shell creates
// one Session per connection (and one for the replication link on a replica) with
// `dataset.createSession()` and passes it to every call.
import type { ByteString } from '../bytes.ts'
import type { Command } from './command.ts'

/** A command accepted by MULTI, waiting for EXEC. */
export interface QueuedCommand {
  readonly command: Command
  readonly argv: readonly ByteString[]
}

export class Session {
  /** The selected database (SELECT). Read it freely; change it only through commands. */
  db = 0
  /** @internal Commands queued since MULTI, or null outside a transaction. */
  queue: QueuedCommand[] | null = null
  /** @internal A command was rejected while queueing: EXEC must answer EXECABORT. */
  queueFailed = false

  /** True between MULTI and EXEC/DISCARD. */
  get inTransaction(): boolean {
    return this.queue !== null
  }
}
