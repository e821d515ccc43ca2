// The error base of the core. Every failure has a class and a stable `code` (as undici does), and a
// message that says what happened, with the numbers, and what to do. Codes are listed, with what to do
// about each, in docs/operations.md.

/** Base of every error Replicast raises. `code` is stable and documented in docs/operations.md. */
export class ReplicastError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Malformed input from a peer or a file: RESP, RDB, a link frame. `offset` is the byte position. */
export class ProtocolError extends ReplicastError {
  readonly offset: number

  constructor(code: string, message: string, offset: number, options?: ErrorOptions) {
    super(code, message, options)
    this.offset = offset
  }
}

/** A configured limit was exceeded. Carries the option's name, its value and what was seen. */
export class LimitError extends ReplicastError {
  readonly limit: string
  readonly limitValue: number
  readonly actual: number

  constructor(code: string, limit: string, limitValue: number, actual: number, message?: string, options?: ErrorOptions) {
    super(
      code,
      message ??
        `${actual} exceeds ${limit} (${limitValue}); raise the ${limit} option if this is intended.`,
      options,
    )
    this.limit = limit
    this.limitValue = limitValue
    this.actual = actual
  }
}
