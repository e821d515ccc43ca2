// One RESP client on the TCP port: redis-cli, ioredis, redis-benchmark, or a redis-server replica.
//
// Commands are decoded incrementally and answered in order; replies to a pipelined burst are written
// in one socket write. A WAIT blocks the connection (later commands wait their turn, as in Redis).
// Connection-level commands (AUTH, HELLO, CLIENT, QUIT, RESET, WAIT) are answered here; PSYNC and
// SYNC turn the connection into a replica link (replica-link.ts over tcp-transport.ts), after which
// every byte from the peer goes to that link.
//
// Malformed input gets Redis's `-ERR Protocol error: ...` and the connection is closed once the
// reply is written (Redis: setProtocolError); other clients are unaffected. From a connection that
// became a replica link, it gets no reply (Redis writes nothing to a replica): the link closes and
// the error is reported as `'replica-error'`, as a WebSocket replica's would be.
//
// Socket errors: a peer that goes away without closing (ECONNRESET, EPIPE) is ordinary and only
// counted (INFO `replicast_connection_resets`); any other is reported through `master.report` as a
// RespConnectionError (ERR_CONNECTION_SOCKET).
//
// A redis-server replica gets its snapshot in the form `replicaSnapshotForm` says (tcp-transport.ts);
// after an EOF-marked one, its first `REPLCONF ACK` releases the stream. In upstream mode (the master
// is itself a replica of a real Redis) WAIT is refused as on a Redis replica, and while the upstream
// RDB loads, commands other than the connection and server ones get `-LOADING`.
import {
  ByteWriter,
  encodeValue,
  error,
  integer,
  OK,
  RequestDecoder,
  RespLimitError,
  RespProtocolError,
  ReplicastError,
  simple,
  writeValue,
  bulk,
  array,
  type ByteString,
  type MasterLinkState,
  type RespValue,
} from '@replicast/core'
import type { Socket } from 'node:net'
import type { ClientState, MasterCore } from './master.ts'
import type { ReplicaSnapshotForm } from './options.ts'
import { ReplicaLink } from './replica-link.ts'
import { parseWaitArguments, WAIT_ON_REPLICA } from './server-commands.ts'
import { TcpTransport, type TcpSnapshotForm } from './tcp-transport.ts'

// Redis: commands flagged CMD_LOADING (or handled before the loading check) still run while a
// replica loads its master's RDB; everything else gets -LOADING (processCommand).
const ALLOWED_WHILE_LOADING = new Set(['auth', 'hello', 'client', 'quit', 'reset', 'info', 'role', 'config', 'command', 'select', 'debug', 'replconf', 'time'])
const LOADING = error('LOADING Redis is loading the dataset in memory')

/** The form a redis-server replica's snapshot takes (MasterOptions.replicaSnapshotForm). */
export function snapshotFormFor(option: ReplicaSnapshotForm, capaEof: boolean, legacySync: boolean): TcpSnapshotForm {
  if (legacySync || option === 'length') return 'length'
  return option === 'eof' || capaEof ? 'eof' : 'length'
}

const isAck = (argv: readonly ByteString[]): boolean =>
  argv.length >= 3 && argv[0]!.toLowerCase() === 'replconf' && argv[1]!.toLowerCase() === 'ack'

/**
 * A RESP client's socket failed with an error other than a reset (ECONNRESET and EPIPE are only
 * counted, in INFO `replicast_connection_resets`). The connection is closed; other clients are not
 * affected. `errnoCode` is Node's code for the socket error (`ETIMEDOUT`, `EHOSTUNREACH`, ...), the
 * original error is the `cause`.
 */
export class RespConnectionError extends ReplicastError {
  /** `address:port` of the client. */
  readonly remoteAddress: string
  readonly errnoCode: string | undefined

  constructor(remoteAddress: string, cause: NodeJS.ErrnoException) {
    super(
      'ERR_CONNECTION_SOCKET',
      `RESP connection from ${remoteAddress} failed: ${cause.message}${cause.code === undefined ? '' : ` (${cause.code})`}; it was closed. Other clients are not affected; if this repeats, check the network between the client and the master.`,
      { cause },
    )
    this.remoteAddress = remoteAddress
    this.errnoCode = cause.code
  }
}

let nextClientId = 1

export class ClientConnection {
  readonly id = nextClientId++
  readonly #master: MasterCore
  readonly #socket: Socket
  readonly #decoder: RequestDecoder
  readonly #client: ClientState
  readonly #out = new ByteWriter(16 * 1024)
  #authenticated: boolean
  #name: ByteString = ''
  /** REPLCONF facts gathered before PSYNC, handed to the replica link. */
  #replconf: Partial<MasterLinkState> = {}
  #link: ReplicaLink | null = null
  #transport: TcpTransport | null = null
  #rdbOnly = false
  #blocked = false
  #closing = false
  /** The last command name and its lowercase form: the decoder hands out a repeated name as the same string. */
  #lastName: ByteString = ''
  #lastLowerName = ''

  constructor(master: MasterCore, socket: Socket) {
    this.#master = master
    this.#socket = socket
    const o = master.options
    this.#decoder = new RequestDecoder({ maxBulkBytes: o.maxBulkBytes, maxArrayLength: o.maxArrayLength, maxInlineBytes: o.maxInlineBytes })
    this.#client = master.newClient()
    this.#authenticated = o.requirePass === undefined
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', (error: NodeJS.ErrnoException) => this.#socketOnError(error))
    socket.on('close', () => this.#onClose())
  }

  #socketOnError(error: NodeJS.ErrnoException): void {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') this.#master.stats.replicast_connection_resets++
    else this.#master.report(new RespConnectionError(`${this.#socket.remoteAddress}:${this.#socket.remotePort}`, error))
    this.#socket.destroy()
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return
    this.#decoder.push(chunk)
    this.#drain()
  }

  #drain(): void {
    try {
      while (!this.#blocked && !this.#closing) {
        const argv = this.#decoder.next()
        if (argv === undefined) break
        if (this.#link !== null) {
          this.#link.command(argv)
          if (isAck(argv)) this.#transport?.ackReceived()
          continue
        }
        if (argv.length === 0) continue
        this.#handle(argv)
      }
    } catch (e) {
      if (!(e instanceof RespProtocolError || e instanceof RespLimitError)) throw e
      if (this.#link !== null) this.#link.fail(e)
      else writeValue(this.#out, error(`ERR ${e.redisReply}`))
      this.#closing = true
    }
    this.#flush()
    if (this.#closing) this.#socket.end()
  }

  #flush(): void {
    // (`writable` is false once ended: a write after end() would be an 'error' of its own.)
    if (this.#out.length > 0 && this.#socket.writable) this.#socket.write(this.#out.finish())
  }

  #reply(value: RespValue): void {
    writeValue(this.#out, value)
  }

  #handle(argv: ByteString[]): void {
    const master = this.#master
    // A pipelined burst repeats one name: lowercase it once, not into a new string per command.
    // (Only short names are kept: a long first argument is no command name worth holding on to.)
    const given = argv[0]!
    if (given !== this.#lastName && given.length <= 32) {
      this.#lastName = given
      this.#lastLowerName = given.toLowerCase()
    }
    const name = given === this.#lastName ? this.#lastLowerName : given.toLowerCase()
    if (!this.#authenticated && name !== 'auth' && name !== 'hello' && name !== 'quit') {
      this.#reply(error('NOAUTH Authentication required.'))
      return
    }
    if (master.upstream?.loading === true && !ALLOWED_WHILE_LOADING.has(name)) return this.#reply(LOADING)
    switch (name) {
      case 'auth': return this.#reply(this.#auth(argv))
      case 'hello': return this.#reply(this.#hello(argv))
      case 'client': return this.#reply(this.#clientCommand(argv))
      case 'quit':
        this.#reply(OK)
        this.#closing = true
        return
      case 'reset':
        this.#client.session.db = 0
        if (this.#client.session.inTransaction) master.runCommand(this.#client, ['DISCARD'])
        this.#authenticated = master.options.requirePass === undefined
        return this.#reply(simple('RESET'))
      case 'wait': return this.#wait(argv)
      case 'replconf': return this.#replconfBeforePsync(argv)
      case 'psync': return this.#becomeReplica(argv, false)
      case 'sync':
        // Redis: SYNC's arity is 1; the arguments are not ignored.
        if (argv.length !== 1) return this.#reply(error("ERR wrong number of arguments for 'sync' command"))
        return this.#becomeReplica(argv, true)
    }
    this.#reply(master.runCommand(this.#client, argv))
  }

  // Redis: authCommand() (acl.c), with only the default user.
  #auth(argv: readonly ByteString[]): RespValue {
    if (argv.length < 2 || argv.length > 3) return argv.length < 2 ? error("ERR wrong number of arguments for 'auth' command") : error('ERR syntax error')
    const pass = this.#master.options.requirePass
    const user = argv.length === 3 ? argv[1]! : 'default'
    if (pass === undefined && argv.length === 2) {
      return error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?')
    }
    if (user !== 'default' || (pass !== undefined && argv[argv.length - 1] !== pass)) {
      return error('WRONGPASS invalid username-password pair or user is disabled.')
    }
    this.#authenticated = true
    return OK
  }

  #hello(argv: readonly ByteString[]): RespValue {
    if (argv.length >= 2 && argv[1] !== '2') return error('NOPROTO unsupported protocol version')
    for (let i = 2; i < argv.length; i++) {
      const option = argv[i]!.toLowerCase()
      if (option === 'auth' && i + 2 < argv.length) {
        const result = this.#auth(['AUTH', argv[i + 1]!, argv[i + 2]!])
        if (result.kind === 'error') return result
        i += 2
      } else if (option === 'setname' && i + 1 < argv.length) {
        this.#name = argv[++i]!
      } else {
        return error(`ERR Syntax error in HELLO option '${argv[i]!}'`)
      }
    }
    if (!this.#authenticated) return error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time')
    return array([
      bulk('server'), bulk('redis'), bulk('version'), bulk('7.0.15'), bulk('proto'), integer(2),
      bulk('id'), integer(this.id), bulk('mode'), bulk('standalone'), bulk('role'), bulk('master'), bulk('modules'), array([]),
    ])
  }

  #clientCommand(argv: readonly ByteString[]): RespValue {
    const sub = argv[1]?.toLowerCase()
    switch (sub) {
      case 'setname':
        if (argv.length !== 3) return error("ERR wrong number of arguments for 'client|setname' command")
        if (/[\s]/.test(argv[2]!)) return error('ERR Client names cannot contain spaces, newlines or special characters.')
        this.#name = argv[2]!
        return OK
      case 'getname': return bulk(this.#name === '' ? null : this.#name)
      case 'id': return integer(this.id)
      case 'setinfo': return OK
      case 'info': return bulk(`id=${this.id} addr=${this.#socket.remoteAddress}:${this.#socket.remotePort} name=${this.#name} db=${this.#client.session.db}\n`)
      case 'kill': return this.#clientKill(argv)
      default: return error(`ERR unknown subcommand '${argv[1] ?? ''}'. Try CLIENT HELP.`)
    }
  }

  // CLIENT KILL TYPE replica|slave|master: drops replica links (they come back with PSYNC) or, in
  // upstream mode, the link to the upstream Redis (it reconnects with PSYNC). Other filters are not
  // supported: plain clients are not tracked.
  #clientKill(argv: readonly ByteString[]): RespValue {
    if (argv.length !== 4 || argv[2]!.toLowerCase() !== 'type') {
      return error('ERR CLIENT KILL is supported by Replicast only as CLIENT KILL TYPE replica|slave|master')
    }
    const type = argv[3]!.toLowerCase()
    if (type === 'master') return integer(this.#master.upstream?.killLink() === true ? 1 : 0)
    if (type === 'normal' || type === 'pubsub') return integer(0)
    if (type !== 'replica' && type !== 'slave') return error(`ERR Unknown client type '${argv[3]!}'`)
    let killed = 0
    for (const link of [...this.#master.links]) {
      if (!link.isReplica) continue
      link.transport.close(1001, 'killed by CLIENT KILL')
      link.disconnected()
      killed++
    }
    return integer(killed)
  }

  #wait(argv: readonly ByteString[]): void {
    // Queued in a transaction (arity checked there too): the dataset's 'wait' (server-commands.ts).
    if (this.#client.session.inTransaction) return this.#reply(this.#master.runCommand(this.#client, argv))
    if (argv.length !== 3) return this.#reply(error("ERR wrong number of arguments for 'wait' command"))
    if (this.#master.upstream !== null) return this.#reply(WAIT_ON_REPLICA)
    const parsed = parseWaitArguments(argv)
    if ('kind' in parsed) return this.#reply(parsed)
    const result = this.#master.wait(this.#client, parsed.numReplicas, parsed.timeoutMs)
    if (typeof result === 'number') return this.#reply(integer(result))
    this.#blocked = true
    void result.then((acked) => {
      this.#blocked = false
      if (this.#socket.destroyed) return
      this.#reply(integer(acked))
      this.#drain()
    })
  }

  // Before PSYNC, REPLCONF is an ordinary command (a redis-server replica sends listening-port and
  // capa first). The facts are kept and handed to the link when PSYNC arrives.
  #replconfBeforePsync(argv: readonly ByteString[]): void {
    if (argv.length % 2 === 0) return this.#reply(error('ERR syntax error'))
    for (let j = 1; j < argv.length; j += 2) {
      const option = argv[j]!.toLowerCase()
      const value = argv[j + 1]!
      if (option === 'listening-port') {
        if (!/^\d+$/.test(value)) return this.#reply(error('ERR value is not an integer or out of range'))
        this.#replconf = { ...this.#replconf, listeningPort: Number(value) }
      } else if (option === 'ip-address') {
        this.#replconf = { ...this.#replconf, ipAddress: value }
      } else if (option === 'capa') {
        if (value.toLowerCase() === 'eof') this.#replconf = { ...this.#replconf, capaEof: true }
        if (value.toLowerCase() === 'psync2') this.#replconf = { ...this.#replconf, capaPsync2: true }
      } else if (option === 'rdb-only') {
        // redis-cli --rdb: the RDB and nothing after it (Redis closes such a replica once it is sent).
        if (value !== '0' && value !== '1') return this.#reply(error('ERR value is not an integer or out of range'))
        this.#rdbOnly = value === '1'
      } else if (option === 'ack' || option === 'getack') {
        return // no reply, as Redis: only replicas ACK
      } else {
        return this.#reply(error(`ERR Unrecognized REPLCONF option: ${argv[j]!}`))
      }
    }
    this.#reply(OK)
  }

  #becomeReplica(argv: readonly ByteString[], legacySync: boolean): void {
    const master = this.#master
    if (this.#client.session.inTransaction) return this.#reply(error('ERR Command not allowed inside a transaction'))
    if (master.links.size >= master.options.maxReplicas) {
      return this.#reply(error(`ERR max number of replicas reached (maxReplicas is ${master.options.maxReplicas})`))
    }
    // Redis: "SYNC and PSYNC are invalid with pending output".
    this.#flush()
    const snapshotForm = snapshotFormFor(master.options.replicaSnapshotForm, this.#replconf.capaEof === true, legacySync)
    const transport = new TcpTransport(this.#socket, { legacySync, snapshotForm, rdbOnly: this.#rdbOnly })
    const link = new ReplicaLink(master, transport, { ...this.#replconf, authenticated: true })
    this.#link = link
    this.#transport = transport
    master.links.add(link)
    link.command(legacySync ? ['PSYNC', '?', '-1'] : argv)
    // A PSYNC refused with an error reply (bad offset) leaves an ordinary client, as in Redis.
    if (!link.isReplica && link.state.kind !== 'closed') {
      transport.detach()
      master.links.delete(link)
      this.#link = null
      this.#transport = null
    }
  }

  #onClose(): void {
    this.#master.connectedClients--
    if (this.#client.session.inTransaction) this.#master.runCommand(this.#client, ['DISCARD'])
    this.#link?.disconnected()
  }

  /** Writes an error and closes: used when the master refuses the connection outright. */
  static refuse(socket: Socket, message: string): void {
    socket.end(encodeValue(error(message)))
  }
}
