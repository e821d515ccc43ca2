// Helpers for tests that run a real master and real replicas on 127.0.0.1 (ports picked at run time).
// Everything a helper starts is registered for the test's cleanup.
import { createMaster, type Master, type MasterOptions } from '@replicast/master'
import { createReplica, type Replica, type ReplicaOptions } from '@replicast/replica/node'
import { Redis } from 'ioredis'
import { onTestFinished } from 'vitest'

export async function startMaster(options: Partial<MasterOptions> = {}): Promise<Master> {
  const master = await createMaster({ port: 0, wsPort: 0, host: '127.0.0.1', ...options })
  onTestFinished(() => master.close())
  return master
}

export async function startReplica(master: Master, options: Partial<ReplicaOptions> = {}): Promise<Replica> {
  const replica = await createReplica({ url: master.url, ...options })
  onTestFinished(() => replica.close())
  return replica
}

/** A real client (ioredis) to the master's RESP port. */
export function client(master: Master | { port: number }): Redis {
  const redis = new Redis({ port: master.port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 })
  onTestFinished(() => { redis.disconnect() })
  return redis
}

/** Polls `check` until it returns true (for conditions with no event to wait on, e.g. INFO fields). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A field of INFO (`master_repl_offset`, `sync_full`, ...). */
export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(info)?.[1]?.trim()
}
