// createMaster(): a MasterCore with its two servers listening. The public surface of a running master.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo, Server as NetServer } from 'node:net'
import type { WebSocketServer } from 'ws'
import { bytesToByteString, utf8ToByteString, type RespValue } from '@replicast/core'
import { MasterCore, type MasterEvents } from './master.ts'
import type { MasterOptions } from './options.ts'
import { createRespServer } from './resp-server.ts'
import { Upstream } from './upstream/upstream.ts'
import { attachReplicationEndpoint } from './ws-server.ts'

export interface Master {
  /** The RESP port actually bound. */
  readonly port: number
  /** The WebSocket port actually bound. */
  readonly wsPort: number
  /** `ws://host:wsPort/wsPath`: what replicas connect to. */
  readonly url: string
  readonly replid: string
  /** Bytes of replication stream produced so far (master_repl_offset). */
  readonly offset: number
  /** The HTTP server that carries the WebSocket endpoint (other routes may be added to it). */
  readonly http: HttpServer
  /** The master's internals, for embedding (demo feeds, tests). */
  readonly core: MasterCore
  /**
   * Listens to the master's events (MasterEvents): `'error'`, failures no caller could be told
   * about (a RESP socket error, `ERR_CONNECTION_SOCKET`; an upstream-mode report); without a
   * listener they go to stderr. `'replica-error'`, a replica link closed because of an error, with
   * the error (its `code` says which: docs/operations.md §5) and the link's transport and address.
   */
  on<E extends keyof MasterEvents>(event: E, listener: (...args: MasterEvents[E]) => void): Master
  /** Removes a listener added with `on`. */
  off<E extends keyof MasterEvents>(event: E, listener: (...args: MasterEvents[E]) => void): Master
  /**
   * Whether the active expiry cycle runs (Redis's `active_expire_enabled`, also switched by
   * `DEBUG SET-ACTIVE-EXPIRE 0|1`). Off, keys expire only lazily, when a command touches them.
   */
  activeExpireEnabled: boolean
  /** Runs a command as a client would, in database `db` (text arguments are UTF-8-encoded). */
  command(args: readonly (string | Uint8Array)[], db?: number): RespValue
  /** DEBUG DIGEST of the whole dataset. */
  digest(): string
  /** INFO text for the given sections (all by default). */
  info(...sections: string[]): string
  /** Stops the servers and closes every connection. */
  close(): Promise<void>
}

function listen(server: NetServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

export async function createMaster(options: Partial<MasterOptions> = {}): Promise<Master> {
  const core = new MasterCore(options)
  const o = core.options
  // Upstream mode: a replica of a real Redis from the first client on (READONLY, no expiry).
  if (o.replicaOf !== undefined) core.upstream = new Upstream(core, o.replicaOf)
  const resp = createRespServer(core)
  const http = createHttpServer((req, res) => {
    if (o.httpHandler !== undefined) return o.httpHandler(req, res)
    res.writeHead(426, { 'Content-Type': 'text/plain' }).end(`Replicast master: connect a replica to ws://<host>:<port>${o.wsPath}\n`)
  })
  const wss: WebSocketServer = attachReplicationEndpoint(core, http)
  const sockets = new Set<import('node:net').Socket>()
  resp.on('connection', (s) => { sockets.add(s); s.once('close', () => sockets.delete(s)) })
  http.on('connection', (s) => { sockets.add(s); s.once('close', () => sockets.delete(s)) })
  try {
    core.tcpPort = await listen(resp, o.port, o.host)
    core.wsPort = await listen(http, o.wsPort, o.host)
    core.upstream?.start(core.tcpPort)
  } catch (error) {
    core.shutdownCore()
    resp.close()
    http.close()
    throw error
  }
  const session = new Map<number, ReturnType<MasterCore['newClient']>>()
  const clientFor = (db: number) => {
    let client = session.get(db)
    if (client === undefined) {
      client = core.newClient()
      client.session.db = db
      session.set(db, client)
    }
    return client
  }
  const host = o.host.includes(':') ? `[${o.host}]` : o.host
  let closing: Promise<void> | null = null
  const master: Master = {
    port: core.tcpPort,
    wsPort: core.wsPort,
    url: `ws://${host === '0.0.0.0' ? '127.0.0.1' : host}:${core.wsPort}${o.wsPath}`,
    get replid() { return core.replid },
    get offset() { return core.masterReplOffset },
    http,
    core,
    // (EventEmitter<MasterEvents> types a listener as a conditional type that TypeScript does not
    // resolve for a generic event name; `Master.on`'s signature is that same type, resolved.)
    on(event, listener) {
      core.on(event, listener as never)
      return master
    },
    off(event, listener) {
      core.off(event, listener as never)
      return master
    },
    get activeExpireEnabled() { return core.activeExpireEnabled },
    set activeExpireEnabled(enabled: boolean) { core.activeExpireEnabled = enabled },
    command(args, db = 0) {
      const argv = args.map((a) => (typeof a === 'string' ? utf8ToByteString(a) : bytesToByteString(a)))
      return core.runCommand(clientFor(db), argv)
    },
    digest: () => core.dataset.digest(),
    info: (...sections) => core.info(sections),
    close() {
      closing ??= (async () => {
        core.shutdownCore()
        for (const client of wss.clients) client.terminate()
        await Promise.all([
          new Promise<void>((resolve) => resp.close(() => resolve())),
          new Promise<void>((resolve) => http.close(() => resolve())),
          ...[...sockets].map((s) => { s.destroy(); return Promise.resolve() }),
        ])
      })()
      return closing
    },
  }
  return master
}
