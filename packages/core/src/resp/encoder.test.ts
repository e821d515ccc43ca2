import { describe, expect, test } from 'vitest'
import { commandByteLength, encodeCommand, encodeValue } from './encoder.ts'
import { array, bulk, error, integer, simple } from './value.ts'

const text = (b: Uint8Array): string => String.fromCharCode(...b)

describe('encoder', () => {
  test('encodes commands as Redis writes its replication stream', () => {
    // Bytes from REDIS.md §3.1 and Appendix A.1.
    expect(text(encodeCommand(['ping']))).toBe('*1\r\n$4\r\nping\r\n')
    expect(text(encodeCommand(['SELECT', '0']))).toBe('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n')
    expect(encodeCommand(['REPLCONF', 'GETACK', '*']).length).toBe(37)
    expect(text(encodeCommand(['SET', 'k2', 'v', 'PXAT', '1795528378938']))).toBe(
      '*5\r\n$3\r\nSET\r\n$2\r\nk2\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n1795528378938\r\n',
    )
  })

  test('commandByteLength agrees with encodeCommand', () => {
    for (const args of [[], ['a'], ['x'.repeat(9), 'y'.repeat(10), 'z'.repeat(99), 'w'.repeat(100)], Array.from({ length: 12 }, () => '')]) {
      expect(commandByteLength(args)).toBe(encodeCommand(args).length)
    }
  })

  test('encodes every RESP2 type', () => {
    expect(text(encodeValue(simple('OK')))).toBe('+OK\r\n')
    expect(text(encodeValue(error('ERR bad\r\nthing')))).toBe('-ERR bad  thing\r\n')
    expect(text(encodeValue(integer(-3)))).toBe(':-3\r\n')
    expect(text(encodeValue(integer(2n ** 63n - 1n)))).toBe(':9223372036854775807\r\n')
    expect(text(encodeValue(bulk(null)))).toBe('$-1\r\n')
    expect(text(encodeValue(array(null)))).toBe('*-1\r\n')
    expect(text(encodeValue(array([bulk('\xff'), array([])])))).toBe('*2\r\n$1\r\n\xff\r\n*0\r\n')
  })
})
