// Errors the dataset raises for misuse of its API (never for client input: a bad command gets a Redis
// error reply, not an exception). Codes are stable; docs/operations.md lists them.
import { ReplicastError } from '../errors.ts'

export const STORE_ERROR_CODES = Object.freeze({
  /** A database index outside [0, databases). */
  DB_OUT_OF_RANGE: 'ERR_STORE_DB_OUT_OF_RANGE',
  /** DatasetOptions that cannot work (e.g. databases < 1). */
  INVALID_OPTIONS: 'ERR_STORE_INVALID_OPTIONS',
  /** A KeyRecord that is not a valid value (NaN score, empty collection, duplicate members). */
  INVALID_RECORD: 'ERR_STORE_INVALID_RECORD',
} as const)
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[keyof typeof STORE_ERROR_CODES]

export class StoreError extends ReplicastError {
  constructor(code: StoreErrorCode, message: string) {
    super(code, message)
  }
}
