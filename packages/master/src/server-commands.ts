// Server commands that answer from the master's state rather than the dataset (INFO, ROLE,
// COMMAND, CONFIG, TIME, DEBUG). They are registered in the dataset's command table so that they
// also work between MULTI and EXEC, as in Redis. Connection-level commands (AUTH, HELLO, CLIENT,
// QUIT, RESET, WAIT, REPLCONF, PSYNC, SYNC) are answered by the connection (client-connection.ts).
import {
  array,
  bulk,
  bulkArray,
  DATASET_COMMANDS,
  EMPTY_ARRAY,
  error,
  globMatch,
  integer,
  OK,
  parseRedisInteger,
  simple,
  type ByteString,
  type Command,
  type CommandContext,
  type RespError,
  type RespValue,
} from '@replicast/core'
import type { MasterCore } from './master.ts'

/** Redis's reply to WAIT on a replica (upstream mode). */
export const WAIT_ON_REPLICA = error('ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.')

const arityError = (name: string): RespValue => error(`ERR wrong number of arguments for '${name}' command`)

/** C's atoi(): optional blanks and sign, then digits up to the first non-digit; 0 when there are none. */
function atoi(text: ByteString): number {
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text)
  return match === null ? 0 : Number.parseInt(match[1]!, 10)
}

// Key positions for COMMAND INFO (first key, last key, step), for the commands where they are not
// "one key, first argument". Clients use them to route keys (cluster) and to name keys in logs.
const KEY_POSITIONS: Readonly<Record<string, readonly [number, number, number]>> = {
  mset: [1, -1, 2], mget: [1, -1, 1], del: [1, -1, 1], unlink: [1, -1, 1], exists: [1, -1, 1], rename: [1, 2, 1],
  ping: [0, 0, 0], echo: [0, 0, 0], dbsize: [0, 0, 0], flushdb: [0, 0, 0], flushall: [0, 0, 0], select: [0, 0, 0],
  multi: [0, 0, 0], exec: [0, 0, 0], discard: [0, 0, 0], keys: [0, 0, 0], scan: [0, 0, 0],
}

interface ServerCommandSpec {
  readonly name: string
  readonly arity: number
  readonly flags: Command['flags']
  /** A container command's subcommands with their arities (Redis's `config|get` ...). */
  readonly subcommands?: Readonly<Record<string, number>>
  readonly execute: (argv: readonly ByteString[], ctx: CommandContext) => RespValue
}

/**
 * WAIT's arguments, checked as Redis's waitCommand does after the arity check: numreplicas as a long
 * (a negative one is satisfied at once), then the timeout in ms (getTimeoutFromObjectOrReply).
 */
export function parseWaitArguments(argv: readonly ByteString[]): { readonly numReplicas: number; readonly timeoutMs: number } | RespValue {
  const numReplicas = parseRedisInteger(argv[1]!)
  if (numReplicas === null) return error('ERR value is not an integer or out of range')
  const timeoutMs = parseRedisInteger(argv[2]!)
  if (timeoutMs === null) return error('ERR timeout is not an integer or out of range')
  if (timeoutMs < 0) return error('ERR timeout is negative')
  return { numReplicas, timeoutMs }
}

/** Commands Replicast deliberately does not implement, with the reason given to the caller. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  save: 'the master keeps no RDB file on disk; replicas take snapshots over the replication link',
  bgsave: 'the master keeps no RDB file on disk; replicas take snapshots over the replication link',
  lastsave: 'the master keeps no RDB file on disk',
  shutdown: 'stop the replicast process instead (SIGTERM closes it cleanly)',
  monitor: 'attach a replica to observe the write stream',
  replicaof: 'a Replicast master cannot become a replica at run time',
  slaveof: 'a Replicast master cannot become a replica at run time',
  waitaof: 'the master has no append-only file',
  failover: 'a Replicast master has no failover',
}

export function createServerCommands(master: MasterCore): Command[] {
  const commandInfo = (command: Command): RespValue => {
    const [first, last, step] = KEY_POSITIONS[command.name] ?? [1, 1, 1]
    return array([bulk(command.name), integer(command.arity), array(command.flags.map((f) => simple(f))), integer(first), integer(last), integer(step)])
  }
  const allCommands = (): Command[] => [...DATASET_COMMANDS, ...specs.map(toCommand)]

  const config = (): Record<string, string> => {
    const o = master.options
    return {
      save: '',
      appendonly: 'no',
      databases: String(o.databases),
      'repl-backlog-size': String(o.backlogBytes),
      'repl-timeout': String(Math.ceil(o.timeoutMs / 1000)),
      'repl-ping-replica-period': String(Math.ceil(o.pingPeriodMs / 1000)),
      'repl-diskless-sync': o.replicaSnapshotForm === 'length' ? 'no' : 'yes',
      'client-output-buffer-limit': `normal 0 0 0 slave ${o.outputBufferHardBytes} ${o.outputBufferSoftBytes} ${Math.ceil(o.outputBufferSoftMs / 1000)} pubsub 33554432 8388608 60`,
      maxclients: String(o.maxClients),
      'proto-max-bulk-len': String(o.maxBulkBytes),
      port: String(master.tcpPort),
      bind: o.host,
      hz: String(o.activeExpireHz),
      maxmemory: '0',
      'maxmemory-policy': 'noeviction',
    }
  }

  const specs: ServerCommandSpec[] = [
    {
      name: 'info', arity: -1, flags: ['loading', 'stale'],
      execute: (argv) => bulk(master.info(argv.slice(1))),
    },
    {
      name: 'role', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast'],
      execute: () => {
        // Upstream mode: ["slave", host, port, state, offset] (Redis's roleCommand on a replica).
        if (master.upstream !== null) return master.upstream.role()
        const now = Date.now()
        const replicas = [...master.links].filter((l) => l.isOnline).map((l) => {
          const info = l.info(now)
          return bulkArray([info.ipAddress ?? l.transport.remoteAddress, String(info.listeningPort), String(info.ackOffset)])
        })
        return array([bulk('master'), integer(master.masterReplOffset), array(replicas)])
      },
    },
    {
      name: 'command', arity: -1, flags: ['loading', 'stale'],
      subcommands: { count: 2, docs: -2, getkeys: -3, getkeysandflags: -3, help: 2, info: -2, list: -2 },
      execute: (argv) => {
        const sub = argv[1]?.toLowerCase()
        if (sub === undefined) return array(allCommands().map(commandInfo))
        if (sub === 'count') return integer(allCommands().length)
        // redis-cli asks for COMMAND DOCS to show hints; an empty answer means "no hints".
        if (sub === 'docs') return EMPTY_ARRAY
        if (sub === 'info') {
          const table = new Map(allCommands().map((c) => [c.name, c]))
          return array(argv.slice(2).map((name) => {
            const command = table.get(name.toLowerCase())
            return command === undefined ? array(null) : commandInfo(command)
          }))
        }
        return error(`ERR unknown subcommand '${argv[1]!}'. Try COMMAND HELP.`)
      },
    },
    {
      name: 'config', arity: -2, flags: ['admin', 'noscript', 'loading', 'stale'],
      subcommands: { get: -3, set: -4, resetstat: 2, rewrite: 2, help: 2 },
      execute: (argv) => {
        const sub = argv[1]!.toLowerCase()
        if (sub === 'get') {
          if (argv.length < 3) return arityError('config|get')
          const out: ByteString[] = []
          for (const [name, value] of Object.entries(config())) {
            if (argv.slice(2).some((pattern) => globMatch(pattern.toLowerCase(), name))) out.push(name, value)
          }
          return bulkArray(out)
        }
        if (sub === 'resetstat') {
          for (const key of Object.keys(master.stats) as (keyof typeof master.stats)[]) master.stats[key] = 0
          master.upstream?.resetStats()
          return OK
        }
        if (sub === 'set' || sub === 'rewrite') {
          return error(`ERR CONFIG ${sub.toUpperCase()} is not supported by Replicast: restart with the option instead (replicast help)`)
        }
        return error(`ERR unknown subcommand '${argv[1]!}'. Try CONFIG HELP.`)
      },
    },
    {
      name: 'time', arity: 1, flags: ['loading', 'stale', 'fast'],
      execute: () => {
        const micros = BigInt(Math.round(performance.timeOrigin * 1000 + performance.now() * 1000))
        return bulkArray([String(micros / 1_000_000n), String(micros % 1_000_000n)])
      },
    },
    {
      name: 'debug', arity: -2, flags: ['admin', 'noscript', 'loading', 'stale'],
      execute: (argv, ctx) => {
        const sub = argv[1]!.toLowerCase()
        // Redis answers both with status replies (addReplyStatus, debug.c), not bulk strings.
        if (sub === 'digest') return simple(master.dataset.digest())
        if (sub === 'digest-value') {
          return array(argv.slice(2).map((key) => simple(master.dataset.digestValue(ctx.db, key))))
        }
        // Redis: `server.active_expire_enabled = atoi(argv[2])`. Tests switch the expiry cycle off so
        // that only lazy expiry, which is deterministic, deletes keys.
        if (sub === 'set-active-expire' && argv.length === 3) {
          master.activeExpireEnabled = atoi(argv[2]!) !== 0
          return OK
        }
        return error(`ERR DEBUG ${argv[1]!} is not supported by Replicast (DIGEST, DIGEST-VALUE and SET-ACTIVE-EXPIRE are)`)
      },
    },
    {
      // Outside a transaction the connection answers WAIT (it may block, client-connection.ts); queued
      // in MULTI it runs here and answers at once, as Redis does.
      name: 'wait', arity: 3, flags: ['noscript'],
      execute: (argv, ctx) => {
        if (master.upstream !== null) return WAIT_ON_REPLICA
        const parsed = parseWaitArguments(argv)
        if ('kind' in parsed) return parsed
        return integer(master.ackedReplicas(ctx.session))
      },
    },
    ...Object.entries(UNSUPPORTED).map(([name, reason]): ServerCommandSpec => ({
      name, arity: -1, flags: ['admin', 'noscript'],
      execute: () => error(`ERR ${name.toUpperCase()} is not supported by Replicast: ${reason}`),
    })),
  ]

  function toCommand(spec: ServerCommandSpec): Command {
    const command: Command = { name: spec.name, arity: spec.arity, flags: spec.flags, execute: (ctx, argv) => spec.execute(argv, ctx) }
    const subcommands = spec.subcommands
    if (subcommands === undefined) return command
    // Redis: processCommand() rejects an unknown subcommand, or a known one with the wrong number of
    // arguments, before queueing it in MULTI; a lone container name has the container's arity.
    const checkSubcommand = (argv: readonly ByteString[]): RespError | null => {
      if (argv.length < 2) return null
      const sub = argv[1]!.toLowerCase()
      const arity = Object.hasOwn(subcommands, sub) ? subcommands[sub]! : undefined
      if (arity === undefined) return error(`ERR unknown subcommand '${argv[1]!.slice(0, 128)}'. Try ${argv[0]!.toUpperCase()} HELP.`)
      if (arity > 0 ? argv.length !== arity : argv.length < -arity) return error(`ERR wrong number of arguments for '${spec.name}|${sub}' command`)
      return null
    }
    return { ...command, checkSubcommand }
  }
  return specs.map(toCommand)
}
