// What `status.lastError` shows of an error: its code, its message and its cause's code. Built here
// for both the replica (replica.ts) and the browser replica's page side (browser-replica.ts), so that
// an error shows the same whichever tab or runtime reports it (docs/operations.md §2.2).

/** An error as `status.lastError` shows it. */
export interface LastError {
  /** The error's code (docs/operations.md §5), or a fallback when it has none. */
  readonly code: string
  readonly message: string
  /**
   * The code of the error's `cause`, when the cause has one: a failed persist (`ERR_PERSIST_FAILED`)
   * caused by a full store has `causeCode: 'ERR_STORAGE_QUOTA'`.
   */
  readonly causeCode?: string
}

/** `error` as `status.lastError` shows it; `fallbackCode` stands for a code it does not carry. */
export function toLastError(error: Error, fallbackCode = 'ERR_REPLICA'): LastError {
  const code = (error as { code?: unknown }).code
  const causeCode = (error.cause as { code?: unknown } | null | undefined)?.code
  return { code: typeof code === 'string' ? code : fallbackCode, message: error.message, ...(typeof causeCode === 'string' ? { causeCode } : {}) }
}
