// Resumable skipping of values Replicast cannot hold: module values (type 7), module AUX
// (opcode 247) and streams (types 15, 19, 21). Skipping must still walk every byte, because RDB has
// no length prefix per key. Each skipper advances through atomic units (one length, one string, one
// PEL entry) and commits after each, so a stream with a million PEL entries split across chunks is
// read once, linearly.
//
// Module data is walked exactly as rdbLoadCheckModuleValue (rdb.c) walks it, which is how
// redis-check-rdb reads modules it does not have: <len opcode> items until opcode 0 (EOF); an
// unknown opcode is ignored and the next length read, as there.
import type { Input } from './input.ts'
import { corrupt } from './input.ts'
import {
  RDB_MODULE_OPCODE_DOUBLE, RDB_MODULE_OPCODE_EOF, RDB_MODULE_OPCODE_FLOAT, RDB_MODULE_OPCODE_SINT,
  RDB_MODULE_OPCODE_STRING, RDB_MODULE_OPCODE_UINT, RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_3,
} from './opcodes.ts'

const MODULE_NAME_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** The 9-character module type name and 10-bit encoding version packed in a module id (moduleTypeNameByID). */
export function moduleTypeName(id: bigint): { readonly name: string; readonly encver: number } {
  let rest = id >> 10n
  let name = ''
  for (let i = 0; i < 9; i++) {
    name = MODULE_NAME_CHARSET[Number(rest & 63n)]! + name
    rest >>= 6n
  }
  return { name, encver: Number(id & 1023n) }
}

/** Walks a module value (after its type byte and key) or a module AUX payload. */
export class ModuleSkipper {
  readonly aux: boolean
  #phase = 0
  /** The module's type name, known after the first unit. */
  name = ''

  constructor(aux: boolean) {
    this.aux = aux
  }

  /** Returns true when the value's EOF opcode has been read. */
  step(input: Input): boolean {
    if (this.#phase === 0) {
      const id = input.lengthBig('a module id')
      if (this.aux) {
        const at = input.offset
        const whenOpcode = input.length('the module AUX when-opcode')
        input.length('the module AUX when')
        if (whenOpcode !== RDB_MODULE_OPCODE_UINT) {
          throw corrupt(at, `module AUX when-opcode is ${whenOpcode}, expected ${RDB_MODULE_OPCODE_UINT} (bad when_opcode)`)
        }
      }
      this.name = moduleTypeName(id).name
      this.#phase = 1
      input.commit()
    }
    for (;;) {
      const opcode = input.length('a module opcode')
      switch (opcode) {
        case RDB_MODULE_OPCODE_EOF:
          input.commit()
          return true
        case RDB_MODULE_OPCODE_SINT:
        case RDB_MODULE_OPCODE_UINT:
          input.length('a module integer')
          break
        case RDB_MODULE_OPCODE_FLOAT:
          input.skip(4)
          break
        case RDB_MODULE_OPCODE_DOUBLE:
          input.skip(8)
          break
        case RDB_MODULE_OPCODE_STRING:
          input.skipString('a module string')
          break
        default:
          break // rdbLoadCheckModuleValue ignores opcodes it does not know
      }
      input.commit()
    }
  }
}

// Where a StreamSkipper is inside the stream.
const StreamPhase = Object.freeze({ Nodes: 0, NodeEntries: 1, Metadata: 2, Groups: 3, GroupPel: 4, Consumers: 5, ConsumerPel: 6 })

/**
 * Walks a stream (rdbLoadObject, STREAM_LISTPACKS*): listpack nodes, metadata, consumer groups
 * with their PELs and consumers. Version 2 (type 19) adds first/max-deleted ids, entries-added and
 * per-group entries-read; version 3 (type 21) adds each consumer's active time.
 */
export class StreamSkipper {
  readonly #v2: boolean
  readonly #v3: boolean
  #phase: number = StreamPhase.Nodes
  #nodes = 0
  #groups = 0
  #pel = 0
  #consumers = 0
  #consumerPel = 0

  constructor(type: number) {
    this.#v2 = type !== RDB_TYPE_STREAM_LISTPACKS
    this.#v3 = type === RDB_TYPE_STREAM_LISTPACKS_3
  }

  /** Returns true when the whole stream has been read. */
  step(input: Input): boolean {
    for (;;) {
      switch (this.#phase) {
        case StreamPhase.Nodes:
          this.#nodes = input.length('the stream listpack count')
          this.#phase = StreamPhase.NodeEntries
          break
        case StreamPhase.NodeEntries:
          if (this.#nodes === 0) {
            this.#phase = StreamPhase.Metadata
            continue
          }
          input.skipString('a stream node id')
          input.skipString('a stream listpack')
          this.#nodes--
          break
        case StreamPhase.Metadata: {
          const fields = this.#v2 ? 8 : 3 // length, last id [, first id, max deleted id, entries added]
          for (let i = 0; i < fields; i++) input.length('stream metadata')
          this.#groups = input.length('the stream consumer group count')
          this.#phase = StreamPhase.Groups
          break
        }
        case StreamPhase.Groups: {
          if (this.#groups === 0) return true
          input.skipString('a consumer group name')
          input.length('a consumer group last id')
          input.length('a consumer group last id')
          if (this.#v2) input.length('a consumer group entries-read')
          this.#pel = input.length('a consumer group PEL size')
          this.#phase = StreamPhase.GroupPel
          break
        }
        case StreamPhase.GroupPel:
          if (this.#pel === 0) {
            this.#consumers = input.length('a consumer count')
            this.#phase = StreamPhase.Consumers
            break
          }
          input.skip(16 + 8) // raw stream id, delivery time
          input.length('a PEL delivery count')
          this.#pel--
          break
        case StreamPhase.Consumers:
          if (this.#consumers === 0) {
            this.#groups--
            this.#phase = StreamPhase.Groups
            continue
          }
          input.skipString('a consumer name')
          input.skip(this.#v3 ? 16 : 8) // seen time [, active time]
          this.#consumerPel = input.length('a consumer PEL size')
          this.#phase = StreamPhase.ConsumerPel
          break
        case StreamPhase.ConsumerPel:
          if (this.#consumerPel === 0) {
            this.#consumers--
            this.#phase = StreamPhase.Consumers
            continue
          }
          input.skip(16)
          this.#consumerPel--
          break
      }
      input.commit()
    }
  }
}
