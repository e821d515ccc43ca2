// The commit queue's rules (commit-queue.ts): call order, grouping, and a failure failing what was
// queued behind it until the queue drains.
import { describe, expect, test } from 'vitest'
import { CommitQueue } from './commit-queue.ts'
import { STORAGE_ERROR_CODES, StorageError } from './storage.ts'

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

describe('CommitQueue', () => {
  test('runs in call order, grouping what queued behind a running group, up to maxGroup', async () => {
    const groups: number[][] = []
    const first = gate()
    const queue = new CommitQueue<number>({
      what: 'test',
      maxGroup: 3,
      run: async (items) => {
        groups.push([...items])
        if (items[0] === 1) await first.promise
      },
    })
    const done = [1, 2, 3, 4, 5].map((n) => queue.push(() => n))
    await Promise.resolve()
    first.open()
    await Promise.all(done)
    expect(groups).toEqual([[1, 2, 3], [4, 5]])
  })

  test('an item that may not be grouped runs alone', async () => {
    const groups: string[][] = []
    const queue = new CommitQueue<string>({ what: 'test', maxGroup: 10, run: async (items) => void groups.push([...items]) })
    await Promise.all([queue.push(() => 'a'), queue.push(() => 'b'), queue.push(() => 'switch', false), queue.push(() => 'c')])
    expect(groups).toEqual([['a', 'b'], ['switch'], ['c']])
  })

  test('a failure fails everything queued behind it, then the queue accepts again once empty', async () => {
    const ran: number[] = []
    const queue = new CommitQueue<number>({
      what: 'test',
      run: async ([n]) => {
        if (n === 2) throw new StorageError('disk on fire')
        ran.push(n!)
      },
    })
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => queue.push(() => n)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected'])
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('disk on fire')
    const blocked = (results[2] as PromiseRejectedResult).reason as StorageError
    expect(blocked.code).toBe(STORAGE_ERROR_CODES.storage)
    expect(blocked.message).toContain('an earlier commit failed while this one was queued (disk on fire)')
    expect(blocked.cause).toBe((results[1] as PromiseRejectedResult).reason)
    expect(ran).toEqual([1])
    await queue.push(() => 5)
    expect(ran).toEqual([1, 5])
  })

  test('an item whose prepare throws fails in its turn; those before it are unaffected', async () => {
    const ran: number[] = []
    const queue = new CommitQueue<number>({ what: 'test', run: async ([n]) => void ran.push(n!) })
    const results = await Promise.allSettled([
      queue.push(() => 1),
      queue.push(() => {
        throw new StorageError('bad input')
      }),
      queue.push(() => 3),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected'])
    expect(ran).toEqual([1])
  })

  test('a barrier resolves once what was queued before it settled, failures included, and blocks nothing', async () => {
    const order: string[] = []
    const queue = new CommitQueue<string>({
      what: 'test',
      run: async ([item]) => {
        if (item === 'bad') throw new StorageError('bad')
        order.push(item!)
      },
    })
    const settled = Promise.allSettled([queue.push(() => 'a'), queue.push(() => 'bad')])
    const barrier = queue.barrier().then(() => order.push('barrier'))
    const after = queue.push(() => 'c')
    await barrier
    expect(order).toEqual(['a', 'barrier'])
    expect((await settled).map((r) => r.status)).toEqual(['fulfilled', 'rejected'])
    // Queued behind a failure, 'c' is blocked: the barrier does not end the failed run.
    await expect(after).rejects.toMatchObject({ code: STORAGE_ERROR_CODES.storage })
  })

  test('close rejects what is queued and what comes later with StorageClosedError', async () => {
    const first = gate()
    const queue = new CommitQueue<number>({ what: 'test', run: async () => first.promise })
    const running = queue.push(() => 1)
    const queued = queue.push(() => 2)
    await Promise.resolve()
    queue.close()
    await expect(queued).rejects.toMatchObject({ code: STORAGE_ERROR_CODES.closed })
    await expect(queue.push(() => 3)).rejects.toMatchObject({ code: STORAGE_ERROR_CODES.closed })
    first.open()
    await running
    await queue.idle()
  })
})
