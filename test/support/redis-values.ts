// Reads keys of a real Redis back as PlainValues (through ioredis, byte-exact), so that tests can
// compare what Redis holds with the records they wrote or read: the RDB tests, in both directions.
// Members, fields and entries are compared sorted, since Redis returns them in its hash order.
import type { Redis } from 'ioredis'
import { expect } from 'vitest'
import type { ByteString } from '../../packages/core/src/bytes.ts'
import type { KeyRecord, PlainValue } from '../../packages/core/src/values.ts'

const latin1 = (x: Buffer): ByteString => x.toString('latin1')
const compare = (x: ByteString, y: ByteString): number => (x < y ? -1 : x > y ? 1 : 0)
const parseScore = (s: string): number => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s))

/** A value in a form that compares equal whatever order Redis returns members in. */
export function normalize(value: PlainValue): unknown {
  switch (value.type) {
    case 'string':
    case 'list': return value
    case 'set': return { type: 'set', members: [...value.members].sort(compare) }
    case 'hash': return { type: 'hash', fields: [...value.fields].sort((x, y) => compare(x[0], y[0])) }
    case 'zset': return { type: 'zset', entries: [...value.entries].sort((x, y) => compare(x[0], y[0])) }
  }
}

/** One key of the selected database: its value (normalized) and its absolute expiry (PEXPIRETIME). */
export async function readKey(redis: Redis, key: ByteString): Promise<{ value: unknown; expireAt: number | null }> {
  const k = Buffer.from(key, 'latin1')
  const type = await redis.type(k)
  let value: PlainValue
  switch (type) {
    case 'string': value = { type: 'string', value: latin1((await redis.getBuffer(k))!) }; break
    case 'list': value = { type: 'list', items: (await redis.lrangeBuffer(k, 0, -1)).map(latin1) }; break
    case 'set': value = { type: 'set', members: (await redis.smembersBuffer(k)).map(latin1) }; break
    case 'hash': {
      const flat = (await redis.callBuffer('HGETALL', k)) as Buffer[]
      const fields: Array<[ByteString, ByteString]> = []
      for (let i = 0; i < flat.length; i += 2) fields.push([latin1(flat[i]!), latin1(flat[i + 1]!)])
      value = { type: 'hash', fields }
      break
    }
    case 'zset': {
      const flat = (await redis.callBuffer('ZRANGE', k, '0', '-1', 'WITHSCORES')) as Buffer[]
      const entries: Array<[ByteString, number]> = []
      for (let i = 0; i < flat.length; i += 2) entries.push([latin1(flat[i]!), parseScore(flat[i + 1]!.toString())])
      value = { type: 'zset', entries }
      break
    }
    default: throw new Error(`key ${JSON.stringify(key)} has type ${type} in Redis`)
  }
  const expireAt = Number(await redis.call('PEXPIRETIME', k))
  return { value: normalize(value), expireAt: expireAt === -1 ? null : expireAt }
}

/**
 * Every record equals what the server holds (type, value, TTL), and each database of the records
 * holds no other key but the `skipped` ones (keys Redis holds that the records lack on purpose, such
 * as a stream the RDB reader walked over; each must exist in Redis). Leaves the connection in the
 * last of those databases.
 */
export async function expectSameAsRedis(redis: Redis, records: readonly KeyRecord[], skipped: readonly { readonly db: number; readonly key: ByteString }[] = []): Promise<void> {
  const dbs = [...new Set(records.map((r) => r.db))]
  for (const db of dbs) {
    await redis.select(db)
    const inDb = records.filter((r) => r.db === db)
    const skippedInDb = skipped.filter((s) => s.db === db)
    for (const { key } of skippedInDb) expect(await redis.exists(Buffer.from(key, 'latin1')), `skipped key ${key} in db ${db}`).toBe(1)
    expect(await redis.dbsize()).toBe(inDb.length + skippedInDb.length)
    for (const record of inDb) {
      expect({ key: record.key, value: normalize(record.value), expireAt: record.expireAt }).toEqual({
        key: record.key, ...(await readKey(redis, record.key)),
      })
    }
  }
}
