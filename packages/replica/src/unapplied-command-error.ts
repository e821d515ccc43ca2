// A command of the master's stream that the replica could not apply. A Replicast master streams only
// what it applied itself, so this is a command of a real Redis relayed unchanged by a node in
// upstream mode (one Replicast does not implement: docs/operations.md §1.1). The replica goes on, as
// Redis's own replicas do; the keys that command wrote differ from the master's until the next full
// sync, whose snapshot carries them. Counting and which ones are reported: core's
// UnappliedCommandReports.
import { UnappliedCommandError, unappliedCommandName, type ByteString } from '@replicast/core'

export class ReplicaUnappliedCommandError extends UnappliedCommandError {
  /** `count`: commands this replica left unapplied since it started, this one included. */
  constructor(argv: readonly ByteString[], reply: string, count: number, offset: number) {
    const command = unappliedCommandName(argv)
    super(
      'ERR_REPLICA_UNAPPLIED_COMMAND',
      command,
      reply,
      count,
      `The master's stream had '${command}' (in the batch ending at offset ${offset}), which the replica could not apply (${reply.trimEnd()}); ` +
        `${count} command(s) unapplied so far. The keys they wrote differ from the master's until the next full sync.`,
    )
  }
}
