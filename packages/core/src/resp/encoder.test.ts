import { describe, expect, test } from 'vitest'
import { ByteWriter } from '../bytes.ts'
import { commandByteLength, encodeCommand, encodeValue, writeCommand } from './encoder.ts'
import { array, bulk, error, integer, simple } from './value.ts'

const text = (b: Uint8Array): string => Array.from(b, (c) => String.fromCharCode(c)).join('')

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

  test('writeCommand appends after earlier bytes, growing the writer, exactly as the reference form', () => {
    // The encoder writes digits and CRLFs straight into the buffer: check it at every digit-count
    // boundary, with binary bytes and empty arguments, against the plain template form.
    const reference = (args: readonly string[]): string => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`
    const lengths = [0, 1, 9, 10, 23, 24, 99, 100, 999, 1000, 10_000]
    const args = lengths.map((n, i) => String.fromCharCode(i * 23 % 256).repeat(n))
    const many = Array.from({ length: 10 }, (_, i) => String(i))
    const writer = new ByteWriter(1)
    writer.byteString('prefix')
    writeCommand(writer, args)
    writeCommand(writer, many)
    writeCommand(writer, ['\x00\r\n\xff'])
    expect(text(writer.finish())).toBe(`prefix${reference(args)}${reference(many)}${reference(['\x00\r\n\xff'])}`)
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
