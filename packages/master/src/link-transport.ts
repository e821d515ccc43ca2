// What a replica link needs from its connection, whatever carries it: our WebSocket framing
// (ws-transport.ts) or Redis's own wire over TCP for redis-server replicas (tcp-transport.ts).
import type { RespValue } from '@replicast/core'

export interface LinkTransport {
  /** 'websocket' or 'tcp', for INFO and logs. */
  readonly kind: 'websocket' | 'tcp'
  /** The peer's address as INFO shows it (`ip=`). */
  readonly remoteAddress: string
  sendReply(value: RespValue): void
  sendKeepalive(): void
  sendSnapshotBegin(length: number): void
  /** A chunk of the snapshot's RDB, with the headroom snapshotter.ts gives every chunk. */
  sendSnapshotChunk(bytes: Uint8Array): void
  /** The snapshot's last chunk was sent (the TCP EOF form writes its end mark here). */
  sendSnapshotEnd(): void
  /** Stream bytes that follow replication offset `startOffset`. */
  sendStream(startOffset: number, bytes: Uint8Array): void
  /** Bytes handed to the connection and not yet written to the network. */
  bufferedBytes(): number
  /** Calls `listener` once, when the buffered bytes fall below the low-water mark. */
  onDrain(listener: () => void): void
  close(code: number, reason: string): void
  readonly closed: boolean
}

/** Above this many buffered bytes a link stops handing bytes to its connection until it drains. */
export const LINK_HIGH_WATER_BYTES = 4 * 1024 * 1024
/** Writing resumes when the buffered bytes fall below this. */
export const LINK_LOW_WATER_BYTES = 1024 * 1024
