// Redis's reply texts, verbatim (server.c createSharedObjects, t_*.c). Clients and tools match on
// them, so they are copied, never paraphrased. Builders for the ones that carry a name or a value.
import { error, simple, type RespError, type RespSimple } from '../resp/value.ts'

export const WRONGTYPE = error('WRONGTYPE Operation against a key holding the wrong kind of value')
export const NOT_AN_INTEGER = error('ERR value is not an integer or out of range')
export const NOT_A_FLOAT = error('ERR value is not a valid float')
export const SYNTAX_ERROR = error('ERR syntax error')
export const NO_SUCH_KEY = error('ERR no such key')
export const INDEX_OUT_OF_RANGE = error('ERR index out of range')
export const DB_INDEX_OUT_OF_RANGE = error('ERR DB index is out of range')
export const OVERFLOW = error('ERR increment or decrement would overflow')
export const DECREMENT_OVERFLOW = error('ERR decrement would overflow')
export const NAN_OR_INFINITY = error('ERR increment would produce NaN or Infinity')
export const VALUE_NAN_OR_INFINITY = error('ERR value is NaN or Infinity')
export const HASH_NOT_INTEGER = error('ERR hash value is not an integer')
export const HASH_NOT_FLOAT = error('ERR hash value is not a float')
export const MUST_BE_POSITIVE = error('ERR value is out of range, must be positive')
export const INVALID_CURSOR = error('ERR invalid cursor')
export const ZSET_NAN = error('ERR resulting score is not a number (NaN)')
export const MIN_MAX_NOT_FLOAT = error('ERR min or max is not a float')
export const MIN_MAX_NOT_LEX = error('ERR min or max not valid string range item')
export const READONLY = error("READONLY You can't write against a read only replica.")
export const EXECABORT = error('EXECABORT Transaction discarded because of previous errors.')
export const EXEC_WITHOUT_MULTI = error('ERR EXEC without MULTI')
export const DISCARD_WITHOUT_MULTI = error('ERR DISCARD without MULTI')
export const MULTI_NESTED = error('ERR MULTI calls can not be nested')
export const NOT_ALLOWED_IN_MULTI = error('ERR Command not allowed inside a transaction')
export const QUEUED: RespSimple = Object.freeze(simple('QUEUED'))
export const PONG: RespSimple = Object.freeze(simple('PONG'))

/** Redis replaces CR and LF in error texts with spaces (addReplyErrorLength sanitizes them). */
function sanitize(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]/g, ' ') : text
}

/** What printf's "%s"/"%.*s" shows of a byte string: everything before the first NUL. */
function cText(s: string, max = Infinity): string {
  const nul = s.indexOf('\0')
  const text = nul === -1 ? s : s.slice(0, nul)
  return text.length > max ? text.slice(0, max) : text
}

export function wrongArity(name: string): RespError {
  return error(`ERR wrong number of arguments for '${sanitize(cText(name))}' command`)
}

/** processCommand's reply to an unknown command (server.c), with the first arguments quoted. */
export function unknownCommand(argv: readonly string[]): RespError {
  let args = ''
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${cText(argv[i]!, 128 - args.length)}' `
  }
  return error(sanitize(`ERR unknown command '${cText(argv[0] ?? '', 128)}', with args beginning with: ${args}`))
}

export function invalidExpireTime(name: string): RespError {
  return error(`ERR invalid expire time in '${name}' command`)
}

export function unsupportedOption(option: string): RespError {
  return error(sanitize(`ERR Unsupported option ${cText(option)}`))
}

/** EXEC rejected at queue time (execCommandAbort): the error text without its "ERR " prefix. */
export function execAbort(reason: RespError): RespError {
  const text = reason.message.startsWith('ERR ') ? reason.message.slice(4) : reason.message
  return error(`EXECABORT Transaction discarded because of: ${text}`)
}
