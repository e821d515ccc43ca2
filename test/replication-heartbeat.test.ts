// Heartbeats both ways (REDIS.md §5): ACKs shown in INFO replication and ROLE, a replica that stops
// ACKing is dropped after timeoutMs, and a master that goes silent is detected by the replica, which
// reconnects and continues from where it was.
import { simple } from '@replicast/core'
import type { ReplicaStatusInfo } from '@replicast/replica/node'
import { describe, expect, test } from 'vitest'
import { client, eventually, infoField, infoNumber, nextReplicaError, startMaster, startReplica, waitForStatus } from './support/cluster.ts'
import { startFakeMaster } from './support/fake-master.ts'
import { LinkTap } from './support/link-tap.ts'
import { RawLink } from './support/raw-link.ts'

describe('heartbeats', () => {
  test('INFO replication and ROLE show each replica online at its own acknowledged offset, with its lag', async () => {
    const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000 })
    const redis = client(master)
    // A ACKs every 100 ms; B only when asked (GETACK, from WAIT): its acknowledged offset stays behind.
    const tapA = new LinkTap()
    const tapB = new LinkTap()
    const a = await startReplica(master, { WebSocket: tapA.WebSocket, ackPeriodMs: 100 })
    await a.waitForOffset(master.offset, { timeoutMs: 15_000 })
    const b = await startReplica(master, { WebSocket: tapB.WebSocket, ackPeriodMs: 30_000, timeoutMs: 120_000 })
    await b.waitForOffset(master.offset, { timeoutMs: 15_000 })
    for (let i = 0; i < 10; i++) await redis.set(`k${i}`, String(i))
    expect(await redis.wait(2, 10_000)).toBe(2)
    for (let i = 10; i < 20; i++) await redis.set(`k${i}`, String(i))
    await a.waitForOffset(master.offset, { timeoutMs: 15_000 })
    await b.waitForOffset(master.offset, { timeoutMs: 15_000 })

    // What each replica last ACKed, as it sent it; INFO has no event to wait on. (One INFO is read
    // whole, in the same turn as the ACKs, so they are of the same moment.)
    const lastAck = (tap: LinkTap): number => {
      const ack = tap.last.sent.findLast((argv) => argv[0]?.toUpperCase() === 'REPLCONF' && argv[1]?.toUpperCase() === 'ACK')
      return ack === undefined ? 0 : Number(ack[2])
    }
    let info = ''
    let acks: [number, number] = [0, 0]
    await eventually(() => {
      info = master.info('replication')
      acks = [lastAck(tapA), lastAck(tapB)]
      return acks[0] === master.offset &&
        infoField(info, 'slave0')?.includes(`offset=${acks[0]},`) === true &&
        infoField(info, 'slave1')?.includes(`offset=${acks[1]},`) === true
    }, 'INFO to show both replicas at their last ACK')
    const offset = Number(infoField(info, 'master_repl_offset'))
    expect(acks[0]).toBe(offset)
    // B acknowledged the WAIT's GETACK, before the last ten writes, and nothing since.
    expect(acks[1]).toBeGreaterThan(0)
    expect(acks[1]).toBeLessThan(offset)
    expect(infoField(info, 'connected_slaves')).toBe('2')
    // lag: whole seconds since that replica's last ACK (Redis's `lag`; its arithmetic is tested on the
    // pure machine, masterLinkInfo, with the clock as input: here the clock is the machine's).
    expect(infoField(info, 'slave0')).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=0,state=online,offset=${acks[0]},lag=\\d+$`))
    expect(infoField(info, 'slave1')).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=0,state=online,offset=${acks[1]},lag=\\d+$`))

    const role = await redis.role() as [string, number, string[][]]
    expect(role[0]).toBe('master')
    expect(role[1]).toBeGreaterThanOrEqual(offset)
    expect(role[2]).toHaveLength(2)
    expect(role[2][1]).toEqual(['127.0.0.1', '0', String(acks[1])])
    expect(role[2][0]).toEqual(['127.0.0.1', '0', expect.stringMatching(/^\d+$/)])
    expect(Number(role[2][0]![2])).toBeGreaterThanOrEqual(acks[0])
  })

  test('the stream is pinged only once a connection did PSYNC: an open WebSocket before it does not count', async () => {
    // Redis: replicationCron() pings only when server.slaves is not empty (REDIS.md §5.2).
    const master = await startMaster({ pingPeriodMs: 100, timeoutMs: 1000 })
    const timedOut = nextReplicaError(master, (e) => e.code === 'ERR_REPLICATION_TIMEOUT')
    const idle = await RawLink.open(master.url)
    idle.send('PING')
    expect(await idle.reply()).toEqual(simple('PONG'))
    // The handshake timeout closes it after timeoutMs: ten ping periods in which nothing was written.
    expect((await timedOut).message).toMatch(/^The client sent nothing for \d+ ms before PSYNC/)
    expect((await idle.closed).code).toBe(4000)
    expect(master.offset).toBe(0)
    expect(infoNumber(master, 'master_repl_offset')).toBe(0)

    // A replica: pings flow into the stream, and only pings (`*1\r\n$4\r\nping\r\n`, 14 bytes each).
    const replica = await startReplica(master, { ackPeriodMs: 100 })
    await replica.waitForOffset(2 * 14, { timeoutMs: 15_000 })
    expect(master.offset % 14).toBe(0)
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(await replica.digest()).toBe(master.digest())
  })

  test('a replica that stops ACKing is dropped after timeoutMs; a live one stays', async () => {
    const master = await startMaster({ timeoutMs: 2500, pingPeriodMs: 500 })
    master.command(['SET', 'k', 'v'])
    const live = await startReplica(master, { ackPeriodMs: 100 })
    await live.waitForOffset(master.offset, { timeoutMs: 15_000 })
    const dropped = nextReplicaError(master, (e) => e.code === 'ERR_REPLICATION_TIMEOUT')

    // A replica that does the handshake, takes the snapshot, and then never says another word.
    const silent = await RawLink.open(master.url)
    silent.send('REPLCONF', 'capa', 'eof', 'capa', 'psync2')
    expect(await silent.reply()).toEqual(simple('OK'))
    silent.send('PSYNC', '?', '-1')
    // (S is the offset at attachment; the stream's pings move it every 500 ms.)
    const fullresync = await silent.reply()
    expect(fullresync.kind === 'simple' && fullresync.value).toMatch(new RegExp(`^FULLRESYNC ${master.replid} \\d+$`))
    await silent.next((m) => m.kind === 'snapshot-begin')
    // Online: the stream (pings at least) flows to it while it is silent.
    await silent.next((m) => m.kind === 'stream')
    expect(infoNumber(master, 'connected_slaves')).toBe(2)

    const error = await dropped
    expect(error.message).toMatch(/^No REPLCONF ACK from the replica for \d+ ms \(timeoutMs is 2500\)/)
    expect(await silent.closed).toEqual({ code: 4000, reason: expect.stringMatching(/^No REPLCONF ACK/) as unknown as string })
    expect(infoNumber(master, 'connected_slaves')).toBe(1)
    expect(infoField(master.info('replication'), 'slave0')).toMatch(/state=online/)

    // The live replica never noticed.
    master.command(['SET', 'k', 'after'])
    await live.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(live.status.stats.fullSyncs).toBe(1)
    expect(live.status.lastError).toBeNull()
    expect(await live.digest()).toBe(master.digest())
  })

  test('a master that goes silent is detected; the replica reconnects and asks to continue', async () => {
    // A fake master: answers the handshake, sends an empty snapshot, then never sends anything.
    const fakeReplid = 'f'.repeat(40)
    const fake = await startFakeMaster((connection) => {
      if (connection.index === 0) connection.fullSync(fakeReplid, 0)
    })
    const url = fake.url

    const seen: ReplicaStatusInfo[] = []
    const replica = await startReplica({ url }, {
      autoConnect: false,
      timeoutMs: 3000,
      ackPeriodMs: 200,
      backoff: { initialDelayMs: 20, maxDelayMs: 100 },
    })
    replica.on('status', (s) => seen.push(s))
    replica.connect()
    await waitForStatus(replica, (s) => s.link === 'up' && s.replid === fakeReplid, 'the fake full sync')
    // lagMs is the time since the master was last heard: it grows while the master says nothing.
    await eventually(() => replica.status.link === 'up' && (replica.status.lagMs ?? 0) >= 1000, 'lagMs to grow while the master is silent')
    await fake.psyncCount(2)

    const links = seen.map((s) => s.link)
    const up = links.indexOf('up')
    const down = links.indexOf('down', up)
    expect(up).toBeGreaterThanOrEqual(0)
    expect(down).toBeGreaterThan(up)
    expect(links.indexOf('connecting', down)).toBeGreaterThan(down)
    expect(seen[down]!.lastError?.code).toBe('ERR_REPLICATION_TIMEOUT')
    expect(fake.psyncs[0]).toEqual(['PSYNC', '?', '-1'])
    // It resumes from what it has: PSYNC <replid> <offset+1>.
    expect(fake.psyncs[1]).toEqual(['PSYNC', fakeReplid, '1'])
  })
})
