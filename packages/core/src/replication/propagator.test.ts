import { describe, expect, test } from 'vitest'
import type { Effect } from '../values.ts'
import { ReplicationBacklog } from './backlog.ts'
import { Propagator } from './propagator.ts'
import { text } from './test-util.ts'

const e = (db: number, ...argv: string[]): Effect => ({ db, argv })

// REDIS.md Appendix A.1: the 475 stream bytes a real 7.0.15 master sent.
const A1 = [
  '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n',
  '*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n',
  '*5\r\n$3\r\nSET\r\n$2\r\nk2\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n1795528378938\r\n',
  '*4\r\n$3\r\nSET\r\n$2\r\nfl\r\n$3\r\n1.5\r\n$7\r\nKEEPTTL\r\n',
  '*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$1\r\na\r\n',
  '*3\r\n$4\r\nSREM\r\n$1\r\ns\r\n$1\r\na\r\n',
  '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$2\r\nm1\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$2\r\nm2\r\n*1\r\n$4\r\nEXEC\r\n',
  '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nset\r\n$2\r\nev\r\n$1\r\nx\r\n*2\r\n$4\r\nincr\r\n$3\r\ncnt\r\n*1\r\n$4\r\nEXEC\r\n',
  '*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n',
  '*3\r\n$3\r\nSET\r\n$5\r\nindb3\r\n$1\r\n1\r\n',
  '*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n',
  '*1\r\n$4\r\nping\r\n',
].join('')

describe('Propagator', () => {
  test('reproduces REDIS.md Appendix A.1 byte for byte, with its offsets', () => {
    const backlog = new ReplicationBacklog()
    const p = new Propagator(backlog)
    expect(p.feedUnit([e(0, 'SET', 'foo', 'bar')])).toEqual({ startOffset: 0, endOffset: 23 + 31 })
    p.feedUnit([e(0, 'SET', 'k2', 'v', 'PXAT', '1795528378938')])
    p.feedUnit([e(0, 'SET', 'fl', '1.5', 'KEEPTTL')])
    p.feedUnit([e(0, 'SADD', 's', 'a')])
    p.feedUnit([e(0, 'SREM', 's', 'a')])
    p.feedUnit([e(0, 'SET', 'm1', '1'), e(0, 'INCR', 'm2')])
    p.feedUnit([e(0, 'set', 'ev', 'x'), e(0, 'incr', 'cnt')])
    p.feedUnit([e(3, 'SET', 'indb3', '1')])
    const getack = p.feedGetAck()
    expect(getack).toEqual({ startOffset: 424, endOffset: 461 })
    expect(getack.endOffset - getack.startOffset).toBe(37)
    expect(p.feedPing()).toEqual({ startOffset: 461, endOffset: 475 })
    expect(backlog.masterReplOffset).toBe(475)
    expect(text(backlog.read(0))).toBe(A1)
    expect(backlog.firstByteOffset).toBe(1)
    expect(backlog.histlen).toBe(475)
  })

  test('nothing for an empty unit; a single effect without MULTI', () => {
    const backlog = new ReplicationBacklog()
    const p = new Propagator(backlog)
    expect(p.feedUnit([])).toEqual({ startOffset: 0, endOffset: 0 })
    p.feedUnit([e(0, 'DEL', 'k')])
    expect(text(backlog.read(0))).toBe('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n')
  })

  test('SELECT before MULTI for the first effect, inside it for the others (Redis 7.0.15, checked by test/store-differential)', () => {
    const backlog = new ReplicationBacklog()
    const p = new Propagator(backlog)
    p.feedUnit([e(1, 'SET', 'a', '1'), e(2, 'SET', 'b', '2'), e(2, 'SET', 'c', '3')])
    expect(text(backlog.read(0))).toBe(
      '*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*1\r\n$5\r\nMULTI\r\n' +
        '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n' +
        '*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n' +
        '*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n' +
        '*1\r\n$4\r\nEXEC\r\n',
    )
    expect(p.selectedDb).toBe(2)
  })

  test('ping and GETACK never SELECT; db -1 effects neither', () => {
    const backlog = new ReplicationBacklog()
    const p = new Propagator(backlog)
    p.feedPing()
    p.feedGetAck()
    p.feedUnit([e(-1, 'PUBLISH', 'ch', 'm')])
    expect(text(backlog.read(0))).toBe('*1\r\n$4\r\nping\r\n*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$1\r\nm\r\n')
    expect(p.selectedDb).toBe(-1)
  })

  test('resetSelectedDb (full-resync setup) forces a SELECT; without it the db is kept', () => {
    const backlog = new ReplicationBacklog()
    const p = new Propagator(backlog)
    p.feedUnit([e(5, 'SET', 'a', '1')])
    const before = backlog.masterReplOffset
    p.feedUnit([e(5, 'SET', 'b', '1')])
    expect(text(backlog.read(before))).toBe('*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n1\r\n')
    p.resetSelectedDb()
    expect(p.selectedDb).toBe(-1)
    const at = backlog.masterReplOffset
    p.feedUnit([e(5, 'SET', 'c', '1')])
    expect(text(backlog.read(at))).toBe('*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n1\r\n')
  })

  test('binary-safe arguments and case kept as given', () => {
    const backlog = new ReplicationBacklog()
    const p = new Propagator(backlog)
    p.feedUnit([e(-1, 'hSet', 'k\r\n', '\x00\xff')])
    expect(text(backlog.read(0))).toBe('*3\r\n$4\r\nhSet\r\n$3\r\nk\r\n\r\n$2\r\n\x00\xff\r\n')
  })
})
