import { describe, expect, test } from 'vitest'
import { ReplicationBacklog } from './backlog.ts'
import { changeReplId, clearReplId2, decidePsync, newReplicationIds, shiftReplId } from './replication-state.ts'
import { NO_REPLID, isReplId, parseReplId, replIdFromRandomBytes } from './replid.ts'
import { parseRedisInteger } from './offset.ts'

const ID = '4eed2c88ca9d0774d9d0b16e0865e731a5a5d645'
const OLD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9001122334'

function masterAt475(): ReplicationBacklog {
  const backlog = new ReplicationBacklog()
  backlog.append(new Uint8Array(475))
  return backlog
}

describe('replication IDs', () => {
  test('replIdFromRandomBytes: 40 lowercase hex, never all zeros, exactly 20 bytes', () => {
    const id = replIdFromRandomBytes(Uint8Array.from({ length: 20 }, (_, i) => i * 13))
    expect(isReplId(id)).toBe(true)
    expect(id).toBe('000d1a2734414e5b6875828f9ca9b6c3d0ddeaf7')
    expect(replIdFromRandomBytes(new Uint8Array(20))).not.toBe(NO_REPLID)
    expect(isReplId(replIdFromRandomBytes(new Uint8Array(20)))).toBe(true)
    expect(() => replIdFromRandomBytes(new Uint8Array(19))).toThrow(RangeError)
    expect(parseReplId(ID.toUpperCase())).toBe(ID)
    expect(parseReplId('xyz')).toBeNull()
  })

  test('shift, change and clear follow Redis (REDIS.md §4)', () => {
    const ids = newReplicationIds(OLD)
    expect(ids).toEqual({ replid: OLD, replid2: NO_REPLID, secondReplOffset: -1 })
    const shifted = shiftReplId(ids, ID, 1175)
    expect(shifted).toEqual({ replid: ID, replid2: OLD, secondReplOffset: 1176 })
    expect(changeReplId(shifted, OLD)).toEqual({ replid: OLD, replid2: OLD, secondReplOffset: 1176 })
    expect(clearReplId2(shifted)).toEqual({ replid: ID, replid2: NO_REPLID, secondReplOffset: -1 })
  })

  test('parseRedisInteger is string2ll', () => {
    expect(parseRedisInteger('476')).toBe(476)
    expect(parseRedisInteger('-1')).toBe(-1)
    expect(parseRedisInteger('0')).toBe(0)
    for (const bad of ['', '+1', '01', ' 1', '1 ', 'abc', '1.5', '-0', '99999999999999999999']) expect(parseRedisInteger(bad)).toBeNull()
    expect(parseRedisInteger('9223372036854775807')).toBe(Number.MAX_SAFE_INTEGER)
  })
})

describe('decidePsync (REDIS.md §3.3, Appendix A.1 probes)', () => {
  const ids = newReplicationIds(ID)

  test('PSYNC <id> 476 at 475 → +CONTINUE <id>, 0 bytes', () => {
    const backlog = masterAt475()
    const d = decidePsync(ids, backlog, ID, '476', true)
    expect(d).toEqual({ kind: 'continue', reply: { kind: 'simple', value: `CONTINUE ${ID}` }, replyLine: `+CONTINUE ${ID}`, fromOffset: 475 })
    if (d.kind === 'continue') expect(backlog.read(d.fromOffset).length).toBe(0)
  })

  test('PSYNC <id> 400 → +CONTINUE <id> and the last 76 bytes', () => {
    const backlog = masterAt475()
    const d = decidePsync(ids, backlog, ID, '400', true)
    expect(d.kind).toBe('continue')
    if (d.kind === 'continue') expect(backlog.read(d.fromOffset).length).toBe(76)
  })

  test('without capa psync2 → +CONTINUE alone', () => {
    const d = decidePsync(ids, masterAt475(), ID, '476', false)
    expect(d).toMatchObject({ kind: 'continue', replyLine: '+CONTINUE', reply: { value: 'CONTINUE' } })
  })

  test('IDs compare case-insensitively', () => {
    expect(decidePsync(ids, masterAt475(), ID.toUpperCase(), '1', true).kind).toBe('continue')
  })

  test('PSYNC <id> 477 (ahead of the master) → full, counted as partial_err', () => {
    expect(decidePsync(ids, masterAt475(), ID, '477', true)).toMatchObject({ kind: 'full', reason: 'ahead-of-master', countsAsPartialErr: true })
  })

  test('PSYNC <id> 0 → full (the backlog starts at byte 1)', () => {
    expect(decidePsync(ids, masterAt475(), ID, '0', true)).toMatchObject({ kind: 'full', reason: 'not-in-backlog', countsAsPartialErr: true })
  })

  test('replid of 40 zeros → full: it matches the cleared replid2 and fails its offset test', () => {
    const d = decidePsync(ids, masterAt475(), NO_REPLID, '5', true)
    expect(d).toMatchObject({ kind: 'full', reason: 'replid2-offset', countsAsPartialErr: true })
    if (d.kind === 'full') expect(d.log).toContain('Requested offset for second ID was 5, but I can reply up to -1')
  })

  test('PSYNC ? -1 → full, not counted as partial_err', () => {
    expect(decidePsync(ids, masterAt475(), '?', '-1', true)).toMatchObject({ kind: 'full', reason: 'requested', countsAsPartialErr: false })
  })

  test('unknown replid → full (replid-mismatch)', () => {
    const d = decidePsync(ids, masterAt475(), OLD, '476', true)
    expect(d).toMatchObject({ kind: 'full', reason: 'replid-mismatch', countsAsPartialErr: true })
    if (d.kind === 'full') expect(d.log).toContain(`Replica asked for '${OLD}'`)
  })

  test('replid2 accepted up to second_repl_offset, with the new replid in +CONTINUE', () => {
    const backlog = new ReplicationBacklog({}, 1000)
    backlog.append(new Uint8Array(175))
    const shifted = shiftReplId(newReplicationIds(OLD), ID, 1175)
    expect(decidePsync(shifted, backlog, OLD, '1176', true)).toMatchObject({ kind: 'continue', replyLine: `+CONTINUE ${ID}`, fromOffset: 1175 })
    expect(decidePsync(shifted, backlog, OLD, '1100', true)).toMatchObject({ kind: 'continue', fromOffset: 1099 })
    backlog.append(new Uint8Array(10))
    expect(decidePsync(shifted, backlog, OLD, '1177', true)).toMatchObject({ kind: 'full', reason: 'replid2-offset' })
    expect(decidePsync(shifted, backlog, ID, '1177', true)).toMatchObject({ kind: 'continue', fromOffset: 1176 })
  })

  test('a restarted master at offset 0 (psync2-master-restart): PSYNC <old> 1 → +CONTINUE <new>', () => {
    const backlog = new ReplicationBacklog({}, 0)
    const restarted = shiftReplId(newReplicationIds(OLD), ID, 0)
    expect(restarted.secondReplOffset).toBe(1)
    expect(decidePsync(restarted, backlog, OLD, '1', true)).toMatchObject({ kind: 'continue', replyLine: `+CONTINUE ${ID}`, fromOffset: 0 })
  })

  test('no backlog → full (no-backlog)', () => {
    expect(decidePsync(ids, null, ID, '1', true)).toMatchObject({ kind: 'full', reason: 'no-backlog', countsAsPartialErr: true })
  })

  test('a trimmed backlog → full (not-in-backlog)', () => {
    const backlog = new ReplicationBacklog({ sizeBytes: 32, blockBytes: 16 })
    backlog.append(new Uint8Array(200))
    const first = backlog.firstByteOffset
    expect(decidePsync(ids, backlog, ID, String(first), true).kind).toBe('continue')
    expect(decidePsync(ids, backlog, ID, String(first - 1), true)).toMatchObject({ kind: 'full', reason: 'not-in-backlog' })
  })

  test('a non-integer offset → -ERR value is not an integer or out of range', () => {
    for (const bad of ['abc', '1.5', '', '99999999999999999999']) {
      expect(decidePsync(ids, masterAt475(), ID, bad, true)).toEqual({ kind: 'error', reply: { kind: 'error', message: 'ERR value is not an integer or out of range' } })
    }
    expect(decidePsync(ids, masterAt475(), ID, 1.5, true).kind).toBe('error')
    expect(decidePsync(ids, masterAt475(), ID, 476, true).kind).toBe('continue')
  })
})
