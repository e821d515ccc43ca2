// Parsing of `replicast master` flags into MasterOptions. Every option of options.ts has a flag;
// sizes take Redis-style units (`1mb`, `64kb`, `2gb`) and durations take `ms`, `s` or `m`.
import { ReplicastError } from '@replicast/core'
import { MASTER_DEFAULTS, REPLICA_SNAPSHOT_FORMS, type MasterOptions, type ReplicaOfOptions } from './options.ts'

type Parser = (text: string) => unknown

/** A bad flag or value on the command line (ERR_CLI_USAGE); the CLI prints it and exits with 2. */
export class CliUsageError extends ReplicastError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', message)
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 }
const DURATION_UNITS: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

function withUnit(units: Record<string, number>, what: string): Parser {
  return (text) => {
    const match = /^(\d+)([a-z]*)$/i.exec(text.trim())
    const factor = match ? units[match[2]!.toLowerCase()] : undefined
    if (!match || factor === undefined) throw new CliUsageError(`"${text}" is not a ${what} (examples: ${Object.keys(units).filter(Boolean).map((u) => `10${u}`).join(', ')})`)
    return Number(match[1]) * factor
  }
}

const integerArg: Parser = (text) => {
  if (!/^\d+$/.test(text)) throw new CliUsageError(`"${text}" is not a non-negative integer`)
  return Number(text)
}
const stringArg: Parser = (text) => text
const listArg: Parser = (text) => text.split(',').map((s) => s.trim()).filter(Boolean)
// `--replicaof host:port` (also `[::1]:port`), as `replicaof <host> <port>` in redis.conf.
const replicaOfArg: Parser = (text): ReplicaOfOptions => {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text.trim())
  if (match === null) throw new CliUsageError(`"${text}" is not host:port (example: 127.0.0.1:6379)`)
  return { host: match[1] ?? match[2]!, port: Number(match[3]) }
}
const snapshotFormArg: Parser = (text) => {
  if (!(REPLICA_SNAPSHOT_FORMS as readonly string[]).includes(text)) throw new CliUsageError(`"${text}" is not one of ${REPLICA_SNAPSHOT_FORMS.join(', ')}`)
  return text
}
// Flags that complete --replicaof rather than set an option of their own.
const REPLICA_OF_AUTH_FLAGS: Readonly<Record<string, { readonly field: 'password' | 'username'; readonly help: string }>> = Object.freeze({
  '--masterauth': { field: 'password', help: 'password for AUTH to the --replicaof Redis (Redis\'s masterauth)' },
  '--masteruser': { field: 'username', help: 'ACL user for AUTH to the --replicaof Redis (Redis\'s masteruser)' },
})
const sizeArg = withUnit(SIZE_UNITS, 'size')
const durationArg = withUnit(DURATION_UNITS, 'duration')

interface FlagSpec {
  readonly option: keyof MasterOptions
  readonly parse: Parser
  readonly help: string
}

export const MASTER_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze({
  '--host': { option: 'host', parse: stringArg, help: 'address to listen on' },
  '--port': { option: 'port', parse: integerArg, help: 'RESP port for clients and redis-server replicas' },
  '--ws-port': { option: 'wsPort', parse: integerArg, help: 'WebSocket port for replicas' },
  '--ws-path': { option: 'wsPath', parse: stringArg, help: 'path of the replication WebSocket' },
  '--backlog-size': { option: 'backlogBytes', parse: sizeArg, help: 'replication backlog size' },
  '--timeout': { option: 'timeoutMs', parse: durationArg, help: 'drop a replica silent this long' },
  '--ping-period': { option: 'pingPeriodMs', parse: durationArg, help: 'ping replicas through the stream this often' },
  '--output-buffer-hard': { option: 'outputBufferHardBytes', parse: sizeArg, help: 'drop a replica this far behind' },
  '--output-buffer-soft': { option: 'outputBufferSoftBytes', parse: sizeArg, help: 'drop a replica this far behind for --output-buffer-soft-time' },
  '--output-buffer-soft-time': { option: 'outputBufferSoftMs', parse: durationArg, help: 'see --output-buffer-soft' },
  '--max-replicas': { option: 'maxReplicas', parse: integerArg, help: 'most replicas at once' },
  '--max-clients': { option: 'maxClients', parse: integerArg, help: 'most RESP clients at once' },
  '--max-frame-size': { option: 'maxFrameBytes', parse: sizeArg, help: 'largest WebSocket message from a replica' },
  '--max-bulk-size': { option: 'maxBulkBytes', parse: sizeArg, help: 'largest bulk string from a client' },
  '--max-array-length': { option: 'maxArrayLength', parse: integerArg, help: 'most arguments in one command' },
  '--max-inline-size': { option: 'maxInlineBytes', parse: sizeArg, help: 'longest inline command or header line' },
  '--requirepass': { option: 'requirePass', parse: stringArg, help: 'password for AUTH (clients and replicas)' },
  '--allowed-origins': { option: 'allowedOrigins', parse: listArg, help: 'comma-separated origins allowed to replicate' },
  '--databases': { option: 'databases', parse: integerArg, help: 'number of databases' },
  '--snapshot-slice': { option: 'snapshotSliceMs', parse: durationArg, help: 'longest snapshot slice before yielding' },
  '--snapshot-reuse': { option: 'snapshotReuseMs', parse: durationArg, help: 'reuse a finished snapshot for this long' },
  '--hz': { option: 'activeExpireHz', parse: integerArg, help: 'active expiry cycles per second' },
  '--active-expire-keys': { option: 'activeExpireKeysPerCycle', parse: integerArg, help: 'keys examined per expiry cycle' },
  '--replicaof': { option: 'replicaOf', parse: replicaOfArg, help: 'host:port of a real Redis to replicate (upstream mode)' },
  '--replica-snapshot-form': { option: 'replicaSnapshotForm', parse: snapshotFormArg, help: 'snapshot form for redis-server replicas: auto, eof or length' },
})

/** Parses `--flag value` and `--flag=value` pairs. Unknown flags are an error that lists the known ones. */
export function parseMasterFlags(args: readonly string[]): Partial<MasterOptions> {
  const options: Record<string, unknown> = {}
  const auth: { password?: string; username?: string } = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.indexOf('=')
    const flag = eq === -1 ? arg : arg.slice(0, eq)
    const authFlag = REPLICA_OF_AUTH_FLAGS[flag]
    if (authFlag !== undefined) {
      const value = eq !== -1 ? arg.slice(eq + 1) : args[++i]
      if (value === undefined) throw new CliUsageError(`${flag} needs a value`)
      auth[authFlag.field] = value
      continue
    }
    const spec = MASTER_FLAGS[flag]
    if (spec === undefined) throw new CliUsageError(`unknown flag "${flag}"; run "replicast help" for the list`)
    let value: string | undefined
    if (eq !== -1) value = arg.slice(eq + 1)
    else value = args[++i]
    if (value === undefined) throw new CliUsageError(`${flag} needs a value`)
    try {
      options[spec.option] = spec.parse(value)
    } catch (e) {
      throw new CliUsageError(`${flag}: ${(e as Error).message}`)
    }
  }
  if (auth.password !== undefined || auth.username !== undefined) {
    if (options.replicaOf === undefined) throw new CliUsageError('--masterauth and --masteruser need --replicaof')
    options.replicaOf = { ...(options.replicaOf as ReplicaOfOptions), ...auth }
  }
  return options as Partial<MasterOptions>
}

export function masterUsage(): string {
  const lines = Object.entries(MASTER_FLAGS).map(([flag, spec]) => {
    const def = MASTER_DEFAULTS[spec.option]
    const shown = def === undefined || typeof def === 'function' ? '' : ` (default ${Array.isArray(def) ? def.join(',') : String(def)})`
    return `  ${flag.padEnd(26)} ${spec.help}${shown}`
  })
  for (const [flag, spec] of Object.entries(REPLICA_OF_AUTH_FLAGS)) lines.push(`  ${flag.padEnd(26)} ${spec.help}`)
  return ['Usage: replicast master [flags]', '', 'Flags:', ...lines].join('\n')
}
