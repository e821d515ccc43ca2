import { Dataset, type ByteString, type KeyChange } from '@replicast/core'
import { describe, expect, test } from 'vitest'
import { Persister, type PersistPoint } from './persister.ts'
import { createMemoryStorage } from './storage/memory.ts'
import type { ReplicaStorage, ReplicationMeta, StorageChange } from './storage/storage.ts'

const REPLID = 'a'.repeat(40)

/** A memory store that also keeps every commit it was asked for, as the persister cut them. */
function recordingStorage(): { storage: ReplicaStorage; commits: { changes: readonly StorageChange[]; meta: ReplicationMeta }[] } {
  const inner = createMemoryStorage()
  const commits: { changes: readonly StorageChange[]; meta: ReplicationMeta }[] = []
  const storage: ReplicaStorage = Object.create(inner, {
    commit: { value: (changes: readonly StorageChange[], meta: ReplicationMeta) => {
      commits.push({ changes, meta })
      return inner.commit(changes, meta)
    } },
  })
  return { storage, commits }
}

/** Applies SETs of `keys` as one unit (a MULTI/EXEC is one apply) and returns its changes. */
function applyUnit(dataset: Dataset, keys: readonly ByteString[]): KeyChange[] {
  const session = dataset.createSession()
  const changes: KeyChange[] = []
  const off = dataset.subscribe((c) => changes.push(...c))
  for (const key of keys) dataset.applyReplicated(session, ['SET', key, 'v'], 0)
  off()
  return changes
}

describe('Persister', () => {
  test('a MULTI/EXEC larger than maxCommands is committed whole, with the offset after its EXEC', async () => {
    const { storage, commits } = recordingStorage()
    await storage.open()
    const dataset = new Dataset({ role: 'replica' })
    const persisted: PersistPoint[] = []
    const persister = new Persister(storage, dataset, { persisted: (p) => persisted.push(p), failed: (_p, e) => { throw e } }, { maxCommands: 1000, maxDelayMs: 60_000 })

    const before = Array.from({ length: 600 }, (_, i) => `before:${i}`)
    persister.record(applyUnit(dataset, before), { replid: REPLID, offset: 100, db: 0 }, before.length)
    expect(commits).toHaveLength(0)

    // 2,500 commands handed out at once, as the replica machine hands out a transaction at its EXEC.
    const tx = Array.from({ length: 2500 }, (_, i) => `tx:${i}`)
    persister.record(applyUnit(dataset, tx), { replid: REPLID, offset: 200, db: 0 }, tx.length)
    await persister.idle()

    // However the batches are cut, no commit holds part of the transaction, and the one holding it
    // claims the offset after its EXEC.
    for (const { changes, meta } of commits) {
      const keys = changes.map((c) => (c.kind === 'set' ? c.record.key : c.kind))
      const ofTx = keys.filter((k) => k.startsWith('tx:')).length
      expect(ofTx === 0 || ofTx === tx.length).toBe(true)
      if (ofTx > 0) expect(meta).toEqual({ replid: REPLID, offset: 200, selectedDb: 0 })
    }
    expect(commits.at(-1)!.meta.offset).toBe(200)
    expect(persisted.at(-1)).toEqual({ replid: REPLID, offset: 200, db: 0 })
  })
})
