// The TCP server for RESP clients: one ClientConnection per socket, up to `maxClients`.
import { createServer, type Server } from 'node:net'
import { ClientConnection } from './client-connection.ts'
import type { MasterCore } from './master.ts'

export function createRespServer(master: MasterCore): Server {
  const server = createServer((socket) => {
    master.stats.total_connections_received++
    if (master.connectedClients >= master.options.maxClients) {
      master.stats.rejected_connections++
      ClientConnection.refuse(socket, `ERR max number of clients reached (maxClients is ${master.options.maxClients})`)
      return
    }
    master.connectedClients++
    new ClientConnection(master, socket)
  })
  server.on('error', (error) => master.report(error))
  return server
}
