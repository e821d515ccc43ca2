// A fake master: a bare `ws` server speaking just enough of the link protocol for tests that need a
// master misbehaving in a way the real one never would (silence, malformed frames). It answers
// REPLCONF with +OK and hands each PSYNC to the test's `onPsync`, which sends what it likes.
// Stops itself at the end of the test.
import { decodeReplicaFrame, encodeMasterFrame, LINK_SUBPROTOCOL, RdbWriter, simple, type ByteString, type MasterMessage } from '@replicast/core'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'

export interface FakeMasterConnection {
  readonly index: number
  readonly ws: WebSocket
  send(message: MasterMessage): void
  /** +FULLRESYNC <replid> <offset> and a complete empty snapshot. */
  fullSync(replid: string, offset: number): void
}

export interface FakeMaster {
  readonly url: string
  /** Every PSYNC received, in order. */
  readonly psyncs: ByteString[][]
  /** Resolves once `count` PSYNCs arrived. */
  psyncCount(count: number): Promise<void>
}

export async function startFakeMaster(onPsync: (connection: FakeMasterConnection, argv: ByteString[]) => void): Promise<FakeMaster> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (p) => (p.has(LINK_SUBPROTOCOL) ? LINK_SUBPROTOCOL : false) })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  onTestFinished(() => new Promise<void>((resolve) => {
    for (const ws of server.clients) ws.terminate()
    server.close(() => resolve())
  }))
  const psyncs: ByteString[][] = []
  let waiters: { count: number; resolve: () => void }[] = []
  let connections = 0
  server.on('connection', (ws: WebSocket) => {
    const connection: FakeMasterConnection = {
      index: connections++,
      ws,
      send: (message) => ws.send(encodeMasterFrame(message)),
      fullSync(replid, offset) {
        const writer = new RdbWriter()
        writer.writeHeader({ 'repl-id': replid, 'repl-offset': offset })
        writer.writeEnd()
        const rdb = writer.take()
        this.send({ kind: 'reply', value: simple(`FULLRESYNC ${replid} ${offset}`) })
        this.send({ kind: 'snapshot-begin', length: rdb.length })
        this.send({ kind: 'snapshot-chunk', bytes: rdb })
      },
    }
    ws.on('message', (data: Buffer) => {
      const argv = decodeReplicaFrame(new Uint8Array(data))
      const name = argv[0]?.toUpperCase()
      if (name === 'REPLCONF' && argv[1]?.toLowerCase() === 'capa') connection.send({ kind: 'reply', value: simple('OK') })
      if (name !== 'PSYNC') return
      psyncs.push(argv)
      waiters = waiters.filter((w) => {
        if (psyncs.length < w.count) return true
        w.resolve()
        return false
      })
      onPsync(connection, argv)
    })
  })
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/replication`,
    psyncs,
    psyncCount(count) {
      if (psyncs.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
  }
}
