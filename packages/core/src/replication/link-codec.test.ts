import { describe, expect, test } from 'vitest'
import { ProtocolError, ReplicastError } from '../errors.ts'
import { RespLimitError } from '../resp/errors.ts'
import { error, simple } from '../resp/value.ts'
import { LinkProtocolError } from './errors.ts'
import {
  LINK_SUBPROTOCOL,
  MASTER_FRAME_KINDS,
  decodeMasterFrame,
  decodeReplicaFrame,
  encodeMasterFrame,
  encodeReplicaFrame,
  type MasterMessage,
} from './link-codec.ts'
import { bytes, text } from './test-util.ts'

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ')

function expectLinkError(frame: Uint8Array, offset: number, message: RegExp): void {
  let caught: unknown
  try {
    decodeMasterFrame(frame)
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(LinkProtocolError)
  expect(caught).toBeInstanceOf(ProtocolError)
  expect(caught).toBeInstanceOf(ReplicastError)
  const err = caught as LinkProtocolError
  expect(err.code).toBe('ERR_LINK_PROTOCOL')
  expect(err.offset).toBe(offset)
  expect(err.message).toMatch(message)
  expect(err.message).toContain(`at byte ${offset}`)
}

describe('link codec: master → replica', () => {
  test('the subprotocol names the version', () => {
    expect(LINK_SUBPROTOCOL).toBe('replicast.v1')
  })

  test('layouts, byte by byte', () => {
    expect(hex(encodeMasterFrame({ kind: 'reply', value: simple('OK') }))).toBe('01 2b 4f 4b 0d 0a')
    expect(hex(encodeMasterFrame({ kind: 'snapshot-begin', length: 249 }))).toBe('02 00 00 00 00 00 00 00 f9')
    expect(hex(encodeMasterFrame({ kind: 'snapshot-chunk', bytes: bytes('RE') }))).toBe('03 52 45')
    expect(hex(encodeMasterFrame({ kind: 'stream', startOffset: 0x0102030405, bytes: bytes('*') }))).toBe('04 00 00 00 01 02 03 04 05 2a')
    expect(hex(encodeMasterFrame({ kind: 'keepalive' }))).toBe('05')
    expect(hex(encodeMasterFrame({ kind: 'stream', startOffset: Number.MAX_SAFE_INTEGER - 1, bytes: bytes('x') }))).toBe('04 00 1f ff ff ff ff ff fe 78')
  })

  test('round trips', () => {
    const messages: MasterMessage[] = [
      { kind: 'reply', value: simple('FULLRESYNC 4eed2c88ca9d0774d9d0b16e0865e731a5a5d645 0') },
      { kind: 'reply', value: simple('CONTINUE') },
      { kind: 'reply', value: error('ERR value is not an integer or out of range') },
      { kind: 'reply', value: { kind: 'bulk', value: 'x\r\ny' } },
      { kind: 'snapshot-begin', length: 0 },
      { kind: 'snapshot-begin', length: 2 ** 40 + 7 },
      { kind: 'snapshot-chunk', bytes: bytes('REDIS0010\xfa\x00') },
      { kind: 'stream', startOffset: 475, bytes: bytes('*1\r\n$4\r\nping\r\n') },
      { kind: 'stream', startOffset: 2 ** 53 - 2, bytes: bytes('x') },
      { kind: 'keepalive' },
    ]
    for (const message of messages) {
      const decoded = decodeMasterFrame(encodeMasterFrame(message))
      if ('bytes' in message && 'bytes' in decoded) {
        expect(text(decoded.bytes)).toBe(text(message.bytes))
        expect({ ...decoded, bytes: null }).toEqual({ ...message, bytes: null })
      } else {
        expect(decoded).toEqual(message)
      }
    }
  })

  test('malformed frames throw LinkProtocolError naming the byte position', () => {
    expectLinkError(new Uint8Array(0), 0, /empty frame/)
    expectLinkError(Uint8Array.of(0x09, 1, 2), 0, /unknown frame kind 0x09/)
    expectLinkError(Uint8Array.of(0x00), 0, /unknown frame kind 0x00/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.stream, 0, 0, 0), 4, /STREAM frame of 4 bytes is shorter than its 9-byte header/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.stream, 0, 0, 0, 0, 0, 0, 0, 1), 9, /empty STREAM frame/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.stream, 0, 0x20, 0, 0, 0, 0, 0, 0, 42), 1, /not below 2\^53/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.stream, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 42), 1, /not below 2\^53/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.stream, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 42), 1, /ends beyond offset 2\^53/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.snapshotBegin, 0, 0), 3, /SNAPSHOT_BEGIN frame of 3 bytes is shorter/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.snapshotBegin, 0, 0, 0, 0, 0, 0, 0, 1, 9), 9, /1 bytes after its length/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.snapshotBegin, 0, 0x40, 0, 0, 0, 0, 0, 1), 1, /not below 2\^53/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.snapshotChunk), 1, /empty SNAPSHOT_CHUNK/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.keepalive, 0), 1, /KEEPALIVE frame has a 1-byte payload/)
    expectLinkError(Uint8Array.of(MASTER_FRAME_KINDS.reply), 1, /REPLY frame without a reply/)
    expectLinkError(bytes('\x01+OK\r'), 5, /incomplete RESP reply/)
    expectLinkError(bytes('\x01+OK\r\n+OK\r\n'), 6, /bytes after its reply/)
    expectLinkError(bytes('\x01?x\r\n'), 1, /malformed RESP.*unknown type byte/)
  })

  test('encoding refuses what decoding would refuse', () => {
    expect(() => encodeMasterFrame({ kind: 'stream', startOffset: 0, bytes: new Uint8Array(0) })).toThrow(RangeError)
    expect(() => encodeMasterFrame({ kind: 'snapshot-chunk', bytes: new Uint8Array(0) })).toThrow(RangeError)
    expect(() => encodeMasterFrame({ kind: 'stream', startOffset: 2 ** 53, bytes: bytes('x') })).toThrow(RangeError)
    expect(() => encodeMasterFrame({ kind: 'snapshot-begin', length: -1 })).toThrow(RangeError)
  })
})

describe('link codec: replica → master', () => {
  test('one RESP command per frame; a bare newline is the keep-alive', () => {
    expect(text(encodeReplicaFrame(['REPLCONF', 'ACK', '0']))).toBe('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n')
    expect(decodeReplicaFrame(encodeReplicaFrame(['PSYNC', '?', '-1']))).toEqual(['PSYNC', '?', '-1'])
    expect(text(encodeReplicaFrame([]))).toBe('\n')
    expect(decodeReplicaFrame(bytes('\n'))).toEqual([])
    expect(decodeReplicaFrame(bytes('\r\n'))).toEqual([])
    expect(decodeReplicaFrame(encodeReplicaFrame(['AUTH', '\x00\xff\r\n']))).toEqual(['AUTH', '\x00\xff\r\n'])
  })

  test('malformed replica frames', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['', 0, /empty frame/],
      ['PING\r\n', 0, /inline commands are not accepted/],
      ['*1\r\n$4\r\nPI', 10, /incomplete RESP command/],
      ['*1\r\n$4\r\nPING\r\n\n', 14, /bytes after the command/],
      ['*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n', 14, /bytes after the command/],
      ['*1\r\n:4\r\n', 4, /expected '\$'/],
      ['*0\r\n', 4, /incomplete/],
    ]
    for (const [frame, offset, message] of cases) {
      let caught: unknown
      try {
        decodeReplicaFrame(bytes(frame))
      } catch (e) {
        caught = e
      }
      expect(caught, JSON.stringify(frame)).toBeInstanceOf(LinkProtocolError)
      expect((caught as LinkProtocolError).offset, JSON.stringify(frame)).toBe(offset)
      expect((caught as LinkProtocolError).message).toMatch(message)
      expect((caught as LinkProtocolError).code).toBe('ERR_LINK_PROTOCOL')
    }
  })

  test('RESP limits apply and throw a LimitError', () => {
    expect(() => decodeReplicaFrame(bytes('*1\r\n$100\r\n'), { maxBulkBytes: 10 })).toThrow(RespLimitError)
  })
})
