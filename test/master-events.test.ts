// The master that createMaster() returns, as docs/operations.md presents it: `master.on('error')`,
// `master.on('replica-error')` (and `off`) without reaching into `master.core`, the typed error a RESP
// socket failure is reported with, and `master.activeExpireEnabled`.
import { once } from 'node:events'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { FrameLimitError } from '@replicast/core'
import { RespConnectionError } from '@replicast/master'
import { describe, expect, onTestFinished, test } from 'vitest'
import { ClientConnection } from '../packages/master/src/client-connection.ts'
import { client, eventually, infoNumber, startMaster } from './support/cluster.ts'
import { RawLink } from './support/raw-link.ts'

/** Both ends of a real TCP connection on 127.0.0.1. */
async function socketPair(): Promise<{ readonly serverSide: Socket; readonly clientSide: Socket }> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  onTestFinished(() => { server.close() })
  const clientSide = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' })
  clientSide.on('error', () => undefined)
  onTestFinished(() => { clientSide.destroy() })
  const [serverSide] = (await once(server, 'connection')) as [Socket]
  return { serverSide, clientSide }
}

describe('Master.on / Master.off', () => {
  test("'replica-error' carries the error with its code and the link's transport and address; off stops it", async () => {
    const master = await startMaster({ maxFrameBytes: 1024 })
    const seen: { code: string | undefined; transport: string; remoteAddress: string }[] = []
    const listener = (error: Error & { readonly code?: string }, peer: { readonly transport: string; readonly remoteAddress: string }): void => {
      seen.push({ code: error.code, transport: peer.transport, remoteAddress: peer.remoteAddress })
    }
    expect(master.on('replica-error', listener)).toBe(master)
    onTestFinished(() => { master.off('replica-error', listener) })
    const errors: Error[] = []
    master.on('replica-error', (error) => errors.push(error))

    const first = await RawLink.open(master.url)
    first.send('REPLCONF', 'ip-address', 'x'.repeat(2000))
    expect((await first.closed).code).toBe(1009)
    expect(seen).toEqual([{ code: 'ERR_LINK_FRAME_LIMIT', transport: 'websocket', remoteAddress: '127.0.0.1' }])
    expect(errors[0]).toBeInstanceOf(FrameLimitError)

    expect(master.off('replica-error', listener)).toBe(master)
    const second = await RawLink.open(master.url)
    second.send('REPLCONF', 'ip-address', 'x'.repeat(2000))
    await second.closed
    expect(errors).toHaveLength(2)
    expect(seen).toHaveLength(1)
  })

  test("'error': a RESP socket error other than a reset arrives as RespConnectionError (ERR_CONNECTION_SOCKET)", async () => {
    const master = await startMaster()
    const reported: Error[] = []
    const listener = (error: Error): void => { reported.push(error) }
    master.on('error', listener)
    onTestFinished(() => { master.off('error', listener) })

    const { serverSide } = await socketPair()
    // As the RESP server does for every connection it accepts.
    master.core.connectedClients++
    new ClientConnection(master.core, serverSide)
    const remoteAddress = `${serverSide.remoteAddress}:${serverSide.remotePort}`
    const cause = Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT', errno: -110, syscall: 'read' })
    const closed = new Promise((resolve) => serverSide.once('close', resolve))
    serverSide.destroy(cause)
    await closed

    expect(reported).toHaveLength(1)
    const error = reported[0] as RespConnectionError
    expect(error).toBeInstanceOf(RespConnectionError)
    expect({ name: error.name, code: error.code, remoteAddress: error.remoteAddress, errnoCode: error.errnoCode, cause: error.cause })
      .toEqual({ name: 'RespConnectionError', code: 'ERR_CONNECTION_SOCKET', remoteAddress, errnoCode: 'ETIMEDOUT', cause })
    expect(error.message).toBe(`RESP connection from ${remoteAddress} failed: read ETIMEDOUT (ETIMEDOUT); it was closed. Other clients are not affected; if this repeats, check the network between the client and the master.`)
    // Not a reset: not counted as one, and the connection is gone from connected_clients.
    expect(master.core.stats.replicast_connection_resets).toBe(0)
    expect(master.core.connectedClients).toBe(0)
  })
})

describe('Master.activeExpireEnabled', () => {
  test('reads and switches the active expiry cycle, the same switch as DEBUG SET-ACTIVE-EXPIRE', async () => {
    const master = await startMaster()
    expect(master.activeExpireEnabled).toBe(true)
    master.activeExpireEnabled = false
    expect(master.core.activeExpireEnabled).toBe(false)
    const redis = client(master)
    expect(await redis.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1')).toBe('OK')
    expect(master.activeExpireEnabled).toBe(true)

    // Off, a key past its TTL stays in the keyspace through several cron runs (100 ms apart) until a
    // command touches it; on, the next cycles delete it.
    master.activeExpireEnabled = false
    master.command(['SET', 'short', 'v', 'PX', '1'])
    await new Promise((resolve) => setTimeout(resolve, 350))
    expect(master.core.dataset.dbsize(0)).toBe(1)
    master.activeExpireEnabled = true
    await eventually(() => master.core.dataset.dbsize(0) === 0, 'the active expiry cycle to delete the key')
    expect(infoNumber(master, 'expired_keys')).toBe(1)
  })
})
