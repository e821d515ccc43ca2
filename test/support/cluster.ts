// Helpers for tests that run a real master and real replicas on 127.0.0.1 (ports picked at run time).
// Everything a helper starts is registered for the test's cleanup.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMaster, type Master, type MasterOptions } from '@replicast/master'
import { createReplica, type Replica, type ReplicaOptions, type ReplicaStatusInfo } from '@replicast/replica/node'
import { Redis } from 'ioredis'
import { onTestFinished } from 'vitest'

export async function startMaster(options: Partial<MasterOptions> = {}): Promise<Master> {
  const master = await createMaster({ port: 0, wsPort: 0, host: '127.0.0.1', ...options })
  onTestFinished(() => master.close())
  return master
}

/** A replica of `master` (or of any endpoint with a `url`: a fake master). */
export async function startReplica(master: Master | { readonly url: string }, options: Partial<ReplicaOptions> = {}): Promise<Replica> {
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

/** An INFO field of `master` as a number (`sync_full`, `master_repl_offset`, ...). */
export function infoNumber(master: Master, field: string): number {
  const value = infoField(master.info(), field)
  if (value === undefined) throw new Error(`INFO has no field ${field}`)
  return Number(value)
}

/**
 * Resolves with the replica's status once `check` accepts it: the current status, or a later status
 * event. Rejects after `timeoutMs` (generous: the machine is shared) naming `what`.
 */
export function waitForStatus(replica: Replica, check: (status: ReplicaStatusInfo) => boolean, what: string, timeoutMs = 15_000): Promise<ReplicaStatusInfo> {
  return new Promise((resolve, reject) => {
    if (check(replica.status)) return resolve(replica.status)
    const timer = setTimeout(() => {
      off()
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; status: ${JSON.stringify(replica.status)}`))
    }, timeoutMs)
    const off = replica.on('status', (status) => {
      if (!check(status)) return
      clearTimeout(timer)
      off()
      resolve(status)
    })
  })
}

/** A fresh temporary directory, removed when the test finishes. */
export async function tempDir(prefix = 'replicast-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Resolves with the next 'replica-error' the master reports that `check` accepts. */
export function nextReplicaError(master: Master, check: (error: Error & { readonly code?: string }) => boolean = () => true, timeoutMs = 15_000): Promise<Error & { readonly code?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      master.core.off('replica-error', listener)
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for a replica-error`))
    }, timeoutMs)
    const listener = (error: Error & { readonly code?: string }): void => {
      if (!check(error)) return
      clearTimeout(timer)
      master.core.off('replica-error', listener)
      resolve(error)
    }
    master.core.on('replica-error', listener)
  })
}

/**
 * Waits until the replica has everything the master produced, and returns that offset: the master's
 * offset did not move between the replica reaching it and the return (the stream's periodic `ping`
 * can be written at any moment). So the caller may compare byte counts with it exactly.
 */
export async function caughtUp(replica: Replica, master: Master, options: { durable?: boolean; timeoutMs?: number } = {}): Promise<number> {
  for (;;) {
    const offset = master.offset
    await replica.waitForOffset(offset, { durable: options.durable ?? false, timeoutMs: options.timeoutMs ?? 15_000 })
    if (master.offset === offset) return offset
  }
}
