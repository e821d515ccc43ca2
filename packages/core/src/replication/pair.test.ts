// Both machines wired by hand, frame by frame: the scenarios of DESIGN §4 end to end, deterministic.
import { describe, expect, test } from 'vitest'
import type { Effect } from '../values.ts'
import { ReplicationBacklog, type BacklogReader } from './backlog.ts'
import { encodeMasterFrame } from './link-codec.ts'
import {
  initialMasterLinkState,
  resolveMasterMachineOptions,
  stepMasterLink,
  type MasterLinkAction,
  type MasterLinkState,
} from './master-machine.ts'
import { Propagator } from './propagator.ts'
import { initialReplicaState, resolveReplicaMachineOptions, stepReplica, type ReplicaAction, type ReplicaState } from './replica-machine.ts'
import { newReplicationIds } from './replication-state.ts'

const ID = '4eed2c88ca9d0774d9d0b16e0865e731a5a5d645'

/** A master and one replica; `deliver` passes frames, `drop` loses the next master frame. */
function pair() {
  const backlog = new ReplicationBacklog({ sizeBytes: 4096, blockBytes: 64 })
  const propagator = new Propagator(backlog)
  const ids = newReplicationIds(ID)
  const masterOptions = resolveMasterMachineOptions({ backlogBytes: 4096 })
  const replicaOptions = resolveReplicaMachineOptions()
  let link: MasterLinkState = initialMasterLinkState(0)
  let reader: BacklogReader | null = null
  let replica: ReplicaState = initialReplicaState(null)
  const toReplica: Uint8Array[] = []
  const toMaster: Uint8Array[] = []
  const applied: Effect[] = []
  const masterLog: Effect[] = []
  const masterActions: MasterLinkAction[] = []
  const replicaActions: ReplicaAction[] = []
  let now = 0

  const pump = (): void => {
    if (link.kind !== 'online' || reader === null) return
    while (reader.position < backlog.masterReplOffset) {
      const bytes = backlog.read(reader.position, 40) // cut mid-command on purpose
      toReplica.push(encodeMasterFrame({ kind: 'stream', startOffset: reader.position, bytes }))
      reader.advance(bytes.length)
    }
  }
  const master = (event: Parameters<typeof stepMasterLink>[1]): void => {
    const step = stepMasterLink(link, event, masterOptions)
    link = step.state
    masterActions.push(...step.actions)
    for (const action of step.actions) {
      if (action.type === 'reply') toReplica.push(encodeMasterFrame({ kind: 'reply', value: action.value }))
      if (action.type === 'start-full-sync') {
        propagator.resetSelectedDb()
        const offset = backlog.masterReplOffset
        reader = backlog.openReader(offset)
        master({ type: 'snapshot-attached', snapshotId: 's1', replid: ID, offset, now })
        master({ type: 'snapshot-ready', snapshotId: 's1', length: 4, now })
      }
      if (action.type === 'send-snapshot') {
        toReplica.push(encodeMasterFrame({ kind: 'snapshot-begin', length: 4 }), encodeMasterFrame({ kind: 'snapshot-chunk', bytes: Uint8Array.of(1, 2, 3, 4) }))
        master({ type: 'snapshot-sent', snapshotId: 's1', now })
      }
      if (action.type === 'stream-from') {
        reader!.seek(action.offset)
        pump()
      }
    }
  }
  const replicaStep = (event: Parameters<typeof stepReplica>[1]): void => {
    const step = stepReplica(replica, event, replicaOptions)
    replica = step.state
    replicaActions.push(...step.actions)
    for (const action of step.actions) {
      if (action.type === 'send') toMaster.push(action.bytes)
      if (action.type === 'apply') applied.push(...action.commands)
    }
  }
  return {
    backlog,
    masterActions,
    replicaActions,
    applied,
    masterLog,
    get link() { return link },
    get replica() { return replica },
    tick(ms: number) {
      now += ms
      master({ type: 'tick', now, outputBufferBytes: reader === null ? 0 : backlog.pendingBytes(reader) })
      replicaStep({ type: 'tick', now })
    },
    connect() { replicaStep({ type: 'link-up', now }) },
    write(...unit: Effect[]) {
      propagator.feedUnit(unit)
      masterLog.push(...unit)
      pump()
    },
    ping() { propagator.feedPing(); pump() },
    getAck() { propagator.feedGetAck(); pump() },
    /** Delivers everything in flight both ways, dropping the master frames whose index is in `lose`. */
    deliver(lose: ReadonlySet<number> = new Set()) {
      let i = 0
      while (toReplica.length > 0 || toMaster.length > 0) {
        while (toMaster.length > 0) master({ type: 'frame', bytes: toMaster.shift()!, now, master: { ids, backlog } })
        const frame = toReplica.shift()
        if (frame !== undefined && !lose.has(i++)) replicaStep({ type: 'frame', bytes: frame, now })
      }
    },
  }
}

const set = (db: number, k: string, v: string): Effect => ({ db, argv: ['SET', k, v] })

describe('master and replica machines together', () => {
  test('full sync, then the stream, cut every 40 bytes, MULTI and SELECT included', () => {
    const p = pair()
    p.connect()
    p.deliver()
    expect(p.link.kind).toBe('online')
    expect(p.replica.kind).toBe('streaming')
    p.write(set(0, 'a', '1'))
    p.write(set(1, 'b', '2'), set(2, 'c', '3'))
    p.ping()
    p.deliver()
    expect(p.applied).toEqual(p.masterLog)
    expect(p.replica.offset).toBe(p.backlog.masterReplOffset)
    p.tick(1000)
    p.deliver()
    expect(p.link).toMatchObject({ kind: 'online', ackOffset: p.backlog.masterReplOffset })
  })

  test('gap → ACK with RESEND → re-send from the backlog on the same link', () => {
    const p = pair()
    p.connect()
    p.deliver()
    p.write(set(0, 'a', '1'))
    p.deliver()
    for (let i = 0; i < 5; i++) p.write(set(0, `k${i}`, 'x'.repeat(30)))
    // Lose the second frame of the burst: every later frame is a gap, answered with one RESEND.
    p.deliver(new Set([1]))
    expect(p.masterActions.filter((a) => a.type === 'stream-from').map((a) => a.type === 'stream-from' && a.cause)).toEqual(['full-resync', 'resend'])
    expect(p.applied).toEqual(p.masterLog)
    expect(p.replica).toMatchObject({ kind: 'streaming', offset: p.backlog.masterReplOffset, resend: null })
    expect(p.replica.stats.gaps).toBeGreaterThan(0)
    expect(p.link.kind).toBe('online')
  })

  test('GETACK: the ACK carries the offset before it; the next ACK includes its 37 bytes', () => {
    const p = pair()
    p.connect()
    p.deliver()
    p.write(set(0, 'a', '1'))
    p.deliver()
    const before = p.backlog.masterReplOffset
    p.getAck()
    p.deliver()
    expect(p.link).toMatchObject({ ackOffset: before })
    p.tick(1000)
    p.deliver()
    expect(p.link).toMatchObject({ ackOffset: before + 37 })
  })

  test('a replica silent past timeoutMs is dropped by the master; a master silent past it, by the replica', () => {
    const p = pair()
    p.connect()
    p.deliver()
    p.tick(60_001) // neither ACKs nor pings flowed: both sides time out on this tick
    expect(p.masterActions.at(-1)).toMatchObject({ type: 'close', code: 4000 })
    expect(p.replicaActions.at(-1)).toMatchObject({ type: 'close', code: 4000 })
    expect(p.replica.kind).toBe('disconnected')
  })
})
