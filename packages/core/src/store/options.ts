// Dataset options, with defaults and validation (STYLE §4).
import type { Command } from './command.ts'
import { STORE_ERROR_CODES, StoreError } from './errors.ts'

export const DATASET_ROLES = Object.freeze(['master', 'replica'] as const)
export type DatasetRole = (typeof DATASET_ROLES)[number]

export interface DatasetOptions {
  /**
   * Number of databases (SELECT 0 .. databases-1), as Redis's `databases`. Keep Redis's default to
   * stay compatible with real replicas and RDB files.
   * @default 16
   */
  readonly databases?: number
  /**
   * 'master': clients write, expired keys are deleted on access and by `activeExpireCycle`, and
   * every change comes back as effects to propagate. 'replica': clients only read (writes answer
   * READONLY), expired keys are hidden but kept until the master's DEL arrives through
   * `applyReplicated`. Can be changed later with `dataset.role = ...` (promotion).
   * @default 'master'
   */
  readonly role?: DatasetRole
  /**
   * Extra commands, e.g. the shell's own INFO or CONFIG, so that they also work inside MULTI.
   * A command with a built-in's name replaces it.
   * @default []
   */
  readonly commands?: readonly Command[]
  /**
   * Whether `execute` lists the keys each unit changed in `ExecResult.touched`. Turn it off where
   * nothing reads `touched` (a master shell): changes are then recorded only while a `subscribe`
   * listener exists, and `touched` is empty. Listeners are told of every change either way.
   * @default true
   */
  readonly reportTouched?: boolean
}

export const DATASET_DEFAULTS = Object.freeze({
  databases: 16,
  role: 'master' as DatasetRole,
  commands: Object.freeze([]) as readonly Command[],
  reportTouched: true,
})

export type ResolvedDatasetOptions = { readonly [K in keyof DatasetOptions]-?: NonNullable<DatasetOptions[K]> }

export function resolveDatasetOptions(options: DatasetOptions = {}): ResolvedDatasetOptions {
  const resolved = { ...DATASET_DEFAULTS, ...stripUndefined(options) }
  const problems: string[] = []
  if (!Number.isInteger(resolved.databases) || resolved.databases < 1 || resolved.databases > 1 << 20) {
    problems.push(`databases must be an integer from 1 to ${1 << 20} (got ${String(resolved.databases)})`)
  }
  if (!DATASET_ROLES.includes(resolved.role)) {
    problems.push(`role must be one of ${DATASET_ROLES.join(', ')} (got ${String(resolved.role)})`)
  }
  if (typeof resolved.reportTouched !== 'boolean') {
    problems.push(`reportTouched must be a boolean (got ${String(resolved.reportTouched)})`)
  }
  if (problems.length > 0) {
    throw new StoreError(STORE_ERROR_CODES.INVALID_OPTIONS, `Invalid dataset options: ${problems.join('; ')}.`)
  }
  return resolved
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [key, value] of Object.entries(options)) if (value !== undefined) (out as Record<string, unknown>)[key] = value
  return out
}
