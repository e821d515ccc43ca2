// RESP2 values, as the core builds and reads them. Bulk strings are ByteStrings (see bytes.ts).
import type { ByteString } from '../bytes.ts'

export interface RespSimple { readonly kind: 'simple'; readonly value: string }
export interface RespError { readonly kind: 'error'; readonly message: string }
/** Redis integers are signed 64-bit; values beyond 2^53 come as bigint. */
export interface RespInteger { readonly kind: 'integer'; readonly value: number | bigint }
export interface RespBulk { readonly kind: 'bulk'; readonly value: ByteString | null }
export interface RespArray { readonly kind: 'array'; readonly value: readonly RespValue[] | null }

export type RespValue = RespSimple | RespError | RespInteger | RespBulk | RespArray
export type RespKind = RespValue['kind']

export const simple = (value: string): RespSimple => ({ kind: 'simple', value })
export const error = (message: string): RespError => ({ kind: 'error', message })
export const integer = (value: number | bigint): RespInteger => ({ kind: 'integer', value })
export const bulk = (value: ByteString | null): RespBulk => ({ kind: 'bulk', value })
export const array = (value: readonly RespValue[] | null): RespArray => ({ kind: 'array', value })
export const bulkArray = (values: readonly ByteString[]): RespArray => array(values.map(bulk))

export const OK: RespSimple = Object.freeze(simple('OK'))
export const NIL: RespBulk = Object.freeze(bulk(null))
export const NIL_ARRAY: RespArray = Object.freeze(array(null))
export const EMPTY_ARRAY: RespArray = Object.freeze(array([]))
export const ZERO: RespInteger = Object.freeze(integer(0))
export const ONE: RespInteger = Object.freeze(integer(1))
