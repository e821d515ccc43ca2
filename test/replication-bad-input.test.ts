// Bad input on the replication endpoint, from the raw socket up: every abuse gets its close code, error
// reply or HTTP status, and nothing else is disturbed. In every test a real replica follows a writer
// through the abuse and ends equal to the master without ever reconnecting, and a RESP client still
// works.
import { error as errorReply, simple } from '@replicast/core'
import { describe, expect, test } from 'vitest'
import { client, infoNumber, nextReplicaError, startReplica } from './support/cluster.ts'
import { withBystanders } from './support/bystanders.ts'
import { startFakeMaster } from './support/fake-master.ts'
import { LinkTap } from './support/link-tap.ts'
import { RawLink, UpgradeRefused } from './support/raw-link.ts'

async function refusal(url: string, options?: Parameters<typeof RawLink.open>[1]): Promise<UpgradeRefused> {
  try {
    await RawLink.open(url, options)
  } catch (error) {
    if (error instanceof UpgradeRefused) return error
    throw error
  }
  throw new Error('the upgrade was accepted')
}

describe('bad frames on a link', () => {
  test('a text frame closes the link with 1002 and a reason', async () => {
    const b = await withBystanders()
    const reported = nextReplicaError(b.master)
    const link = await RawLink.open(b.master.url)
    link.sendRaw('PSYNC ? -1')
    expect(await link.closed).toEqual({ code: 1002, reason: 'text frames are a protocol error: send binary RESP' })
    expect((await reported).code).toBe('ERR_LINK_PROTOCOL')
    await b.check()
  })

  test('a frame over maxFrameBytes closes the link with 1009', async () => {
    const b = await withBystanders({ maxFrameBytes: 1024 })
    const refused = nextReplicaError(b.master)
    const link = await RawLink.open(b.master.url)
    link.send('REPLCONF', 'ip-address', 'x'.repeat(2000))
    expect((await link.closed).code).toBe(1009)
    expect((await refused).message).toMatch(/payload/i)
    await b.check()
  })

  test('bytes that are not RESP, or RESP over the limits, close the link with 1002', async () => {
    const b = await withBystanders({ maxBulkBytes: 1024 })
    const cases: [Uint8Array, string][] = [
      [Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x0d, 0x0a), 'ERR_LINK_PROTOCOL'],
      [new TextEncoder().encode('PSYNC ? -1\r\n'), 'ERR_LINK_PROTOCOL'],
      [new TextEncoder().encode('*2\r\n$4\r\nPING\r\n'), 'ERR_LINK_PROTOCOL'],
      [new TextEncoder().encode('*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n'), 'ERR_LINK_PROTOCOL'],
      [new TextEncoder().encode('*1\r\n$99999\r\n'), 'ERR_RESP_LIMIT'],
    ]
    for (const [bytes, code] of cases) {
      const reported = nextReplicaError(b.master)
      const link = await RawLink.open(b.master.url)
      link.sendRaw(bytes)
      expect((await link.closed).code).toBe(1002)
      expect((await reported).code).toBe(code)
    }
    expect(b.master.core.links.size).toBe(1)
    await b.check()
  })

  test('PSYNC with a non-integer offset gets an error reply and the link stays usable', async () => {
    const b = await withBystanders()
    const link = await RawLink.open(b.master.url)
    link.send('PSYNC', b.master.replid, 'abc')
    expect(await link.reply()).toEqual(errorReply('ERR value is not an integer or out of range'))
    link.send('PING')
    expect(await link.reply()).toEqual(simple('PONG'))
    link.send('PSYNC', '?', '-1')
    // (A snapshot being made or a recent one the backlog covers is shared, so S may be behind.)
    const fullresync = await link.reply()
    expect(fullresync.kind === 'simple' && fullresync.value).toMatch(new RegExp(`^FULLRESYNC ${b.master.replid} \\d+$`))
    await link.next((m) => m.kind === 'snapshot-begin')
    link.terminate()
    await b.check(1)
  })

  test('unknown commands before PSYNC get an error reply', async () => {
    const b = await withBystanders()
    const link = await RawLink.open(b.master.url)
    link.send('GET', 'key:1')
    expect(await link.reply()).toEqual(errorReply("ERR unknown command 'GET', with args beginning with: 'key:1' "))
    link.send('REPLCONF', 'nonsense', 'x')
    expect(await link.reply()).toEqual(errorReply('ERR Unrecognized REPLCONF option: nonsense'))
    link.send('PING')
    expect(await link.reply()).toEqual(simple('PONG'))
    link.terminate()
    await b.check()
  })

  test('a command that needs a reply after PSYNC closes the link', async () => {
    const b = await withBystanders()
    const closedWith = nextReplicaError(b.master)
    const link = await RawLink.open(b.master.url)
    link.send('PSYNC', '?', '-1')
    await link.next((m) => m.kind === 'snapshot-begin')
    link.send('PING')
    const closed = await link.closed
    expect(closed.code).toBe(1002)
    expect(closed.reason).toMatch(/^Replica sent 'PING'/)
    expect((await closedWith).code).toBe('ERR_REPLICATION_PROTOCOL')
    await b.check(1)
  })
})

describe('refused upgrades', () => {
  test('a wrong or missing subprotocol gets 400', async () => {
    const b = await withBystanders()
    expect((await refusal(b.master.url, { protocols: ['other.v1'] })).status).toBe(400)
    expect((await refusal(b.master.url, { protocols: [] })).status).toBe(400)
    await b.check()
  })

  test('a wrong path gets 404', async () => {
    const b = await withBystanders()
    const refused = await refusal(b.master.url.replace('/replication', '/nope'))
    expect(refused.status).toBe(404)
    expect(refused.body).toMatch(/\/replication/)
    await b.check()
  })

  test('over maxReplicas gets 503', async () => {
    const b = await withBystanders({ maxReplicas: 2 })
    const second = await RawLink.open(b.master.url)
    const before = infoNumber(b.master, 'rejected_connections')
    expect((await refusal(b.master.url)).status).toBe(503)
    expect(infoNumber(b.master, 'rejected_connections')).toBe(before + 1)
    second.terminate()
    await second.closed
    await b.check()
  })

  test('an origin outside allowedOrigins gets 403', async () => {
    const b = await withBystanders({ allowedOrigins: ['https://app.example'] })
    expect((await refusal(b.master.url, { origin: 'https://evil.example' })).status).toBe(403)
    const allowed = await RawLink.open(b.master.url, { origin: 'https://app.example' })
    allowed.send('PING')
    expect(await allowed.reply()).toEqual(simple('PONG'))
    allowed.terminate()
    await b.check()
  })

  test('verifyReplica refusing gets 401; one that throws too, and the error is reported', async () => {
    const b = await withBystanders({
      verifyReplica: (request) => {
        if (request.url.includes('boom')) throw new Error('verifier exploded')
        return request.url.endsWith('?token=good')
      },
    }, {}, '?token=good')
    const reported: Error[] = []
    b.master.core.on('error', (e) => reported.push(e))
    expect((await refusal(b.master.url)).status).toBe(401)
    expect((await refusal(`${b.master.url}?token=bad`)).status).toBe(401)
    expect((await refusal(`${b.master.url}?token=boom`)).status).toBe(401)
    expect(reported.map((e) => e.message)).toEqual(['verifier exploded'])
    await b.check()
  })
})

describe('bad input from a master', () => {
  // The replica closes such a link and reconnects. Its close() must use a code a browser's
  // WebSocket accepts (1000 or 3000–4999), or the browser throws and the replica never reconnects.
  test.each([
    ['a malformed frame', 'ERR_LINK_PROTOCOL', (ws: import('ws').WebSocket) => ws.send(Uint8Array.of(0x09, 1, 2, 3))],
    ['a text frame', 'ERR_LINK_PROTOCOL', (ws: import('ws').WebSocket) => ws.send('+OK')],
    ['a reply while streaming', 'ERR_REPLICATION_PROTOCOL', (ws: import('ws').WebSocket) => ws.send(Uint8Array.of(0x01, 0x2b, 0x4f, 0x4b, 0x0d, 0x0a))],
  ])('%s: the replica closes the link and reconnects', async (_what, code, misbehave) => {
    const replid = 'e'.repeat(40)
    const fake = await startFakeMaster((connection) => {
      if (connection.index > 0) return
      connection.fullSync(replid, 0)
      setImmediate(() => misbehave(connection.ws))
    })
    const tap = new LinkTap({ browserClose: true })
    const errors: string[] = []
    const replica = await startReplica(fake, { WebSocket: tap.WebSocket, backoff: { initialDelayMs: 20, maxDelayMs: 100 } })
    replica.on('error', (e) => errors.push((e as { code?: string }).code ?? e.message))
    await fake.psyncCount(2)
    expect(fake.psyncs[1]).toEqual(['PSYNC', replid, '1'])
    expect(errors[0]).toBe(code)
    const closed = await tap.sockets[0]!.closed
    expect(closed.code === 1000 || (closed.code >= 3000 && closed.code <= 4999)).toBe(true)
  })
})
