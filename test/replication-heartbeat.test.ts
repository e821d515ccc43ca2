// Heartbeats both ways (REDIS.md §5): ACKs shown in INFO replication and ROLE, a replica that stops
// ACKing is dropped after timeoutMs, and a master that goes silent is detected by the replica, which
// reconnects and continues from where it was.
import { simple } from '@replicast/core'
import type { ReplicaStatusInfo } from '@replicast/replica/node'
import { describe, expect, test } from 'vitest'
import { client, eventually, infoField, infoNumber, nextReplicaError, startMaster, startReplica, waitForStatus } from './support/cluster.ts'
import { startFakeMaster } from './support/fake-master.ts'
import { RawLink } from './support/raw-link.ts'

describe('heartbeats', () => {
  test('INFO replication and ROLE show the replica online at its acknowledged offset', async () => {
    const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000 })
    const redis = client(master)
    const replica = await startReplica(master, { ackPeriodMs: 100 })
    for (let i = 0; i < 20; i++) await redis.set(`k${i}`, String(i))
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })

    // The ACK reaches the master within an ACK period; INFO has no event to wait on. (One INFO is
    // read whole, so the acked and the master offsets are of the same moment.)
    let info = ''
    await eventually(() => {
      info = master.info('replication')
      return infoField(info, 'slave0')?.includes(`offset=${infoField(info, 'master_repl_offset')},`) === true
    }, 'the ACK of the master offset')
    const offset = Number(infoField(info, 'master_repl_offset'))
    expect(offset).toBeGreaterThan(0)
    expect(infoField(info, 'connected_slaves')).toBe('1')
    expect(infoField(info, 'slave0')).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=0,state=online,offset=${offset},lag=\\d+$`))

    let role: unknown
    await eventually(async () => {
      role = await redis.role()
      const [, masterOffset, replicas] = role as [string, number, string[][]]
      return replicas[0]?.[2] === String(masterOffset)
    }, 'ROLE to show the replica at the master offset')
    expect(role).toEqual(['master', expect.any(Number), [['127.0.0.1', '0', expect.stringMatching(/^\d+$/)]]])
    expect((role as [string, number])[1]).toBeGreaterThanOrEqual(offset)
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
      timeoutMs: 1500,
      ackPeriodMs: 200,
      backoff: { initialDelayMs: 20, maxDelayMs: 100 },
    })
    replica.on('status', (s) => seen.push(s))
    replica.connect()
    await waitForStatus(replica, (s) => s.link === 'up' && s.replid === fakeReplid, 'the fake full sync')
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
