// The Node entry of @replicast/replica: everything of the isomorphic entry, plus the file storage,
// and `ws` as the WebSocket class when the runtime has none (Node 20).
import { WebSocket as WsWebSocket } from 'ws'
import { createReplica as createIsomorphicReplica, type Replica } from './replica.ts'
import type { ReplicaOptions } from './options.ts'
import type { WebSocketConstructor } from './websocket.ts'

export * from './index.ts'
export { createFileStorage, type FileStorage, type FileStorageOptions } from './storage/file.ts'

export function createReplica(options: Partial<ReplicaOptions> & { readonly url: string }): Promise<Replica> {
  const fallback = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? (WsWebSocket as unknown as WebSocketConstructor)
  return createIsomorphicReplica({ ...options, WebSocket: options.WebSocket ?? fallback })
}
