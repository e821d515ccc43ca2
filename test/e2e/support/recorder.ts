// Two tools that sit on the replication link of the browser specs:
//
// StreamRecorder, a raw replica that records everything its master sends: the snapshot of a full sync
// and then every STREAM byte from the snapshot's offset S on. From those it rebuilds the dataset at
// ANY offset of the stream at a command boundary, with core's Dataset, exactly as a replica that
// stopped there would hold it: the yardstick for "after a crash the stored data is exactly the
// master's state at the stored offset" (DESIGN §5).
//
// LinkProxy, a WebSocket proxy between a page's replica and a master that can hold the master's
// frames once a snapshot has reached a given point, so that a spec acts while a full sync is
// mid-load (reads, a crash) for as long as it needs, without racing the load, and then releases it.
import {
  Dataset,
  decodeMasterFrame,
  encodeReplicaFrame,
  LINK_SUBPROTOCOL,
  RdbReader,
  RequestDecoder,
  type RespValue,
} from '@replicast/core'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'

function text(value: RespValue): string {
  if (value.kind === 'simple') return value.value
  if (value.kind === 'error') return `-${value.message}`
  return JSON.stringify(value)
}

export class StreamRecorder {
  readonly #ws: WebSocket
  readonly #snapshot: Uint8Array[] = []
  readonly #stream: Uint8Array[] = []
  #replid = ''
  /** S: the offset of the snapshot. */
  #snapshotOffset = -1
  /** The offset up to which the stream has been received. */
  #offset = -1
  #waiters: { offset: number; resolve: () => void }[] = []
  #ack: ReturnType<typeof setInterval>
  readonly ready: Promise<void>

  private constructor(url: string) {
    const ws = new WebSocket(url, LINK_SUBPROTOCOL)
    ws.binaryType = 'arraybuffer'
    this.#ws = ws
    let snapshotDone: () => void = () => {}
    let failed: (error: Error) => void = () => {}
    this.ready = new Promise<void>((resolve, reject) => {
      snapshotDone = resolve
      failed = reject
    })
    let remaining = -1
    ws.on('open', () => {
      ws.send(encodeReplicaFrame(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']))
      ws.send(encodeReplicaFrame(['PSYNC', '?', '-1']))
    })
    ws.on('error', (error) => failed(error))
    ws.on('message', (data: ArrayBuffer) => {
      const message = decodeMasterFrame(new Uint8Array(data))
      switch (message.kind) {
        case 'reply': {
          const reply = text(message.value)
          const full = /^FULLRESYNC ([0-9a-f]{40}) (\d+)$/.exec(reply)
          if (full !== null) {
            this.#replid = full[1]!
            this.#snapshotOffset = Number(full[2])
          } else if (reply !== 'OK') {
            failed(new Error(`the master answered the recorder's handshake with ${reply}`))
          }
          return
        }
        case 'snapshot-begin':
          remaining = message.length
          return
        case 'snapshot-chunk':
          this.#snapshot.push(message.bytes.slice())
          remaining -= message.bytes.length
          if (remaining === 0) {
            this.#offset = this.#snapshotOffset
            ws.send(encodeReplicaFrame(['REPLCONF', 'ACK', String(this.#offset)]))
            snapshotDone()
          }
          return
        case 'stream':
          if (message.startOffset !== this.#offset) {
            failed(new Error(`the recorder got a stream frame at ${message.startOffset}, expected ${this.#offset}`))
            return
          }
          this.#stream.push(message.bytes.slice())
          this.#offset += message.bytes.length
          for (const waiter of [...this.#waiters]) {
            if (this.#offset < waiter.offset) continue
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
            waiter.resolve()
          }
          return
        case 'keepalive':
          return
      }
    })
    this.#ack = setInterval(() => {
      if (this.#offset >= 0 && ws.readyState === WebSocket.OPEN) ws.send(encodeReplicaFrame(['REPLCONF', 'ACK', String(this.#offset)]))
    }, 1000)
  }

  /** Attaches to the master at `url`; resolves once the snapshot is in. */
  static async attach(url: string): Promise<StreamRecorder> {
    const recorder = new StreamRecorder(url)
    await recorder.ready
    return recorder
  }

  get replid(): string {
    return this.#replid
  }

  get snapshotOffset(): number {
    return this.#snapshotOffset
  }

  get offset(): number {
    return this.#offset
  }

  /** Resolves once the stream has been received up to `offset`. */
  waitForOffset(offset: number): Promise<void> {
    if (this.#offset >= offset) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push({ offset, resolve }))
  }

  /**
   * The dataset at exactly `offset` (S ≤ offset ≤ received), replaying the stream as a replica
   * applies it (MULTI … EXEC whole). Throws when `offset` is not at a command boundary.
   */
  datasetAt(offset: number): Dataset {
    if (offset < this.#snapshotOffset || offset > this.#offset) {
      throw new Error(`offset ${offset} is outside what was recorded (${this.#snapshotOffset}..${this.#offset})`)
    }
    const dataset = new Dataset({ role: 'replica' })
    const reader = new RdbReader()
    for (const chunk of this.#snapshot) for (const event of reader.push(chunk)) if (event.kind === 'key') dataset.loadRecord(event.record)
    reader.finish()
    const decoder = new RequestDecoder({ allowInline: false })
    const session = dataset.createSession()
    let at = this.#snapshotOffset
    let inMulti = false
    for (const chunk of this.#stream) {
      if (at >= offset) break
      decoder.push(chunk)
      for (let argv = decoder.next(); argv !== undefined; argv = decoder.next()) {
        at += decoder.lastCommandBytes
        if (argv.length === 0) continue
        const name = argv[0]!.toLowerCase()
        if (name === 'select') session.db = Number(argv[1])
        else dataset.applyReplicated(session, argv, Date.now())
        if (name === 'multi') inMulti = true
        if (name === 'exec') inMulti = false
        if (at >= offset) break
      }
    }
    if (at !== offset || inMulti) throw new Error(`offset ${offset} is not at a command boundary outside MULTI (stopped at ${at}${inMulti ? ', inside MULTI' : ''})`)
    return dataset
  }

  close(): void {
    clearInterval(this.#ack)
    this.#ws.terminate()
  }
}

/** Where a held snapshot stopped: `forwarded` of its `total` bytes reached the replica. */
export interface SnapshotHold {
  readonly forwarded: number
  readonly total: number
}

/** One replica connection through the proxy, and its own connection to the master. */
interface ProxiedLink {
  readonly client: WebSocket
  readonly upstream: WebSocket
  /** Master frames not yet forwarded (held, or behind a held one), in order. */
  readonly queue: Uint8Array[]
  /** The current snapshot's announced length (-1 before SNAPSHOT_BEGIN) and the bytes of it forwarded. */
  total: number
  forwarded: number
  held: boolean
}

/** Close codes a server may send (1005, 1006 and 1015 are only ever reported, never sent). */
function sendableCode(code: number): number {
  return code === 1000 || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999) ? code : 1001
}

/**
 * A WebSocket proxy on 127.0.0.1 in front of a master's replication endpoint. Every connection a
 * replica makes to `url` gets a connection of its own to `upstreamUrl`, so a master restarted on the
 * same port is what the replica's next connection reaches. Frames pass unchanged both ways, except
 * that `holdSnapshot` stops the master's frames at a point of a snapshot until `release()`.
 */
export class LinkProxy {
  readonly #server: WebSocketServer
  readonly #links = new Set<ProxiedLink>()
  /** The most bytes of a snapshot to forward, given its total; null: forward everything. */
  #limit: ((total: number) => number) | null = null
  #holdWaiters: ((hold: SnapshotHold) => void)[] = []
  readonly url: string

  private constructor(server: WebSocketServer, readonly upstreamUrl: string) {
    this.#server = server
    this.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/replication`
    server.on('connection', (client, request) => this.#serverOnConnection(client, request.headers['sec-websocket-protocol']))
  }

  /** Starts a proxy in front of the replication endpoint `upstreamUrl` (a master's `url`). */
  static async start(upstreamUrl: string): Promise<LinkProxy> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => protocols.values().next().value ?? false })
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    return new LinkProxy(server, upstreamUrl)
  }

  #serverOnConnection(client: WebSocket, protocols: string | undefined): void {
    const upstream = new WebSocket(this.upstreamUrl, protocols?.split(',').map((p) => p.trim()) ?? [])
    upstream.binaryType = 'nodebuffer'
    const link: ProxiedLink = { client, upstream, queue: [], total: -1, forwarded: 0, held: false }
    this.#links.add(link)
    const toUpstream: Uint8Array[] = []
    client.on('message', (data: Buffer) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data)
      else toUpstream.push(data)
    })
    upstream.on('open', () => {
      for (const data of toUpstream.splice(0)) upstream.send(data)
    })
    upstream.on('message', (data: Buffer) => {
      link.queue.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      this.#pump(link)
    })
    const end = () => this.#links.delete(link)
    upstream.on('close', (code, reason) => {
      end()
      if (client.readyState <= WebSocket.OPEN) client.close(sendableCode(code), reason)
    })
    upstream.on('error', () => {
      end()
      if (client.readyState <= WebSocket.OPEN) client.close(1011, 'the proxy could not reach the master')
    })
    client.on('close', () => {
      end()
      if (upstream.readyState === WebSocket.OPEN) upstream.close()
      else upstream.terminate()
    })
    client.on('error', () => upstream.terminate())
  }

  /** Forwards queued master frames until one may not pass. */
  #pump(link: ProxiedLink): void {
    while (link.queue.length > 0) {
      const frame = link.queue[0]!
      const message = decodeMasterFrame(frame)
      if (message.kind === 'snapshot-begin') {
        link.total = message.length
        link.forwarded = 0
      } else if (message.kind === 'snapshot-chunk' && this.#limit !== null && link.forwarded + message.bytes.length > this.#limit(link.total)) {
        if (!link.held) {
          link.held = true
          const hold = { forwarded: link.forwarded, total: link.total }
          for (const resolve of this.#holdWaiters.splice(0)) resolve(hold)
        }
        return
      }
      link.held = false
      link.queue.shift()
      if (message.kind === 'snapshot-chunk') link.forwarded += message.bytes.length
      if (link.client.readyState === WebSocket.OPEN) link.client.send(frame)
    }
  }

  /**
   * From now on, forwards of a snapshot only the chunks that keep what reached the replica within
   * `limit(total)` bytes, and holds every master frame from the first chunk that would not (a limit of
   * `total - 1` holds the last chunk: the replica is one chunk short of the switch). Resolves once a
   * chunk is held, with how far the snapshot got. Called again while holding, it moves the limit.
   */
  holdSnapshot(limit: (total: number) => number): Promise<SnapshotHold> {
    this.#limit = limit
    const held = new Promise<SnapshotHold>((resolve) => this.#holdWaiters.push(resolve))
    for (const link of this.#links) {
      link.held = false
      this.#pump(link)
    }
    return held
  }

  /** Forwards everything held, and everything after it. */
  release(): void {
    this.#limit = null
    for (const link of this.#links) this.#pump(link)
  }

  async close(): Promise<void> {
    for (const link of this.#links) {
      link.client.terminate()
      link.upstream.terminate()
    }
    this.#links.clear()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
