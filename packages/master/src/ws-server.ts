// The WebSocket endpoint for replicas (DESIGN §4): binary frames only, path `wsPath`, subprotocol
// `replicast.v1`. Upgrades are checked before a link exists: path, Origin (`allowedOrigins`),
// `maxReplicas`, the subprotocol, and the `verifyReplica` hook. Each accepted socket becomes a
// ReplicaLink over a WebSocketTransport.
//
// Frames ws itself refuses (over `maxFrameBytes`, or not valid WebSocket) arrive as ws's own errors;
// they are reported as ours, a FrameLimitError (ERR_LINK_FRAME_LIMIT) or a LinkProtocolError. A link
// over maxFrameBytes is closed with 1009 ("message too big", RFC 6455 §7.4.1) and no reason: that
// code is the contract (docs/protocol.md §7), from which a replica makes its own message. Nothing
// here reaches into ws to add a reason.
import { FrameLimitError, LINK_CLOSE_CODES, LINK_SUBPROTOCOL, LinkProtocolError } from '@replicast/core'
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { MasterCore } from './master.ts'
import { ReplicaLink } from './replica-link.ts'
import { WebSocketTransport } from './ws-transport.ts'

/** ws's code for a message over maxPayload (its Receiver). */
const WS_MESSAGE_TOO_BIG = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'

function refuse(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`
  socket.end(`HTTP/1.1 ${status} ${reason.split(':')[0]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
}

export function attachReplicationEndpoint(master: MasterCore, http: HttpServer): WebSocketServer {
  const o = master.options
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: o.maxFrameBytes,
    perMessageDeflate: false,
    // The upgrade is refused below unless it offers ours (docs/protocol.md §2).
    handleProtocols: (protocols) => (protocols.has(LINK_SUBPROTOCOL) ? LINK_SUBPROTOCOL : false),
  })

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost')
      if (url.pathname !== o.wsPath) return refuse(socket, 404, `Not Found: the replication endpoint is ${o.wsPath}`)
      const origin = request.headers.origin
      if (o.allowedOrigins !== undefined && origin !== undefined && !o.allowedOrigins.includes(origin)) {
        return refuse(socket, 403, `Forbidden: origin ${origin} is not in allowedOrigins`)
      }
      if (master.links.size >= o.maxReplicas) {
        master.stats.rejected_connections++
        return refuse(socket, 503, `Service Unavailable: maxReplicas (${o.maxReplicas}) reached`)
      }
      const offered = request.headers['sec-websocket-protocol']
      if (offered === undefined || !offered.split(',').map((p) => p.trim()).includes(LINK_SUBPROTOCOL)) {
        return refuse(socket, 400, `Bad Request: subprotocol ${LINK_SUBPROTOCOL} required, offered ${offered ?? 'none'}`)
      }
      if (o.verifyReplica !== undefined) {
        let accepted = false
        try {
          accepted = await o.verifyReplica({ url: request.url ?? '/', origin, headers: request.headers, remoteAddress: request.socket.remoteAddress })
        } catch (error) {
          master.report(error instanceof Error ? error : new Error(String(error)))
        }
        if (!accepted) return refuse(socket, 401, 'Unauthorized: verifyReplica refused this replica')
      }
      wss.handleUpgrade(request, socket, head, (ws) => onConnection(master, ws, request))
    })()
  })
  return wss
}

function onConnection(master: MasterCore, ws: WebSocket, request: IncomingMessage): void {
  master.stats.total_connections_received++
  const transport = new WebSocketTransport(ws, request.socket.remoteAddress ?? '?')
  const link = new ReplicaLink(master, transport)
  master.links.add(link)
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      const reason = 'text frames are a protocol error: send binary RESP'
      transport.close(LINK_CLOSE_CODES.protocolError, reason)
      link.disconnected()
      // Reported like any other malformed frame (ERR_LINK_PROTOCOL), not only closed.
      master.emit('replica-error', new LinkProtocolError(reason, 0), { transport: 'websocket', remoteAddress: transport.remoteAddress })
      return
    }
    link.frame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  })
  ws.on('close', () => link.disconnected())
  // The link's machine closes with the code it picks for the error (1009 for FrameLimitError). ws may
  // already be closing with its own code (it closes with 1009, 1002 or 1007 when its receiver refuses
  // a frame); either way the peer sees a close and the error is reported once, as 'replica-error'.
  // ws does not say at which byte of the frame it stopped: the offset is unknown (-1).
  ws.on('error', (error: Error & { readonly code?: string }) => {
    link.fail(error.code === WS_MESSAGE_TOO_BIG
      ? new FrameLimitError(master.options.maxFrameBytes, { cause: error })
      : new LinkProtocolError(`the WebSocket layer refused the frame: ${error.message} (${error.code ?? 'ws'})`, -1, { cause: error }))
  })
}
