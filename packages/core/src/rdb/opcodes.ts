// Named constants of the RDB format, with Redis's names (rdb.h) so that a reader can look them up.
// REDIS.md §8 describes each byte.

/** The version our writer stamps: `REDIS0010`. Debian's redis-server 7.0.15 refuses anything newer. */
export const RDB_WRITE_VERSION = 10
/** The newest version the reader accepts (Redis 7.4 writes 12). */
export const RDB_MAX_READ_VERSION = 12
/** Checksums were added in version 5; older files end at the EOF opcode. */
export const RDB_FIRST_VERSION_WITH_CHECKSUM = 5
/** Every RDB file starts with these 5 bytes, then the version as 4 ASCII digits. */
export const RDB_MAGIC = 'REDIS'
/** `REDIS` + 4 ASCII digits. */
export const RDB_HEADER_BYTES = 9
/** The checksum after the EOF opcode, CRC-64/Jones little-endian. */
export const RDB_CHECKSUM_BYTES = 8

// Opcodes (rdb.h RDB_OPCODE_*). Everything below 244 that is not one of them is a value type.
export const RDB_OPCODE_SLOT_INFO = 244
export const RDB_OPCODE_FUNCTION2 = 245
export const RDB_OPCODE_FUNCTION_PRE_GA = 246
export const RDB_OPCODE_MODULE_AUX = 247
export const RDB_OPCODE_IDLE = 248
export const RDB_OPCODE_FREQ = 249
export const RDB_OPCODE_AUX = 250
export const RDB_OPCODE_RESIZEDB = 251
export const RDB_OPCODE_EXPIRETIME_MS = 252
export const RDB_OPCODE_EXPIRETIME = 253
export const RDB_OPCODE_SELECTDB = 254
export const RDB_OPCODE_EOF = 255

// Value types (rdb.h RDB_TYPE_*).
export const RDB_TYPE_STRING = 0
export const RDB_TYPE_LIST = 1
export const RDB_TYPE_SET = 2
export const RDB_TYPE_ZSET = 3
export const RDB_TYPE_HASH = 4
export const RDB_TYPE_ZSET_2 = 5
export const RDB_TYPE_MODULE_PRE_GA = 6
export const RDB_TYPE_MODULE_2 = 7
export const RDB_TYPE_HASH_ZIPMAP = 9
export const RDB_TYPE_LIST_ZIPLIST = 10
export const RDB_TYPE_SET_INTSET = 11
export const RDB_TYPE_ZSET_ZIPLIST = 12
export const RDB_TYPE_HASH_ZIPLIST = 13
export const RDB_TYPE_LIST_QUICKLIST = 14
export const RDB_TYPE_STREAM_LISTPACKS = 15
export const RDB_TYPE_HASH_LISTPACK = 16
export const RDB_TYPE_ZSET_LISTPACK = 17
export const RDB_TYPE_LIST_QUICKLIST_2 = 18
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19
export const RDB_TYPE_SET_LISTPACK = 20
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21
export const RDB_TYPE_HASH_METADATA_PRE_GA = 22
export const RDB_TYPE_HASH_LISTPACK_EX_PRE_GA = 23
export const RDB_TYPE_HASH_METADATA = 24
export const RDB_TYPE_HASH_LISTPACK_EX = 25

/** Redis's names for the value types, for messages ("type 18 (list-quicklist-2)"). */
export const RDB_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'string', 1: 'list', 2: 'set', 3: 'zset', 4: 'hash', 5: 'zset-2', 6: 'module-pre-ga', 7: 'module-2',
  9: 'hash-zipmap', 10: 'list-ziplist', 11: 'set-intset', 12: 'zset-ziplist', 13: 'hash-ziplist',
  14: 'list-quicklist', 15: 'stream-listpacks', 16: 'hash-listpack', 17: 'zset-listpack',
  18: 'list-quicklist-2', 19: 'stream-listpacks-2', 20: 'set-listpack', 21: 'stream-listpacks-3',
  22: 'hash-metadata-pre-ga', 23: 'hash-listpack-ex-pre-ga', 24: 'hash-metadata', 25: 'hash-listpack-ex',
})

// Length encoding (rdbSaveLen/rdbLoadLenByRef): the top two bits of the first byte.
export const RDB_6BITLEN = 0
export const RDB_14BITLEN = 1
export const RDB_32BITLEN = 0x80
export const RDB_64BITLEN = 0x81
export const RDB_ENCVAL = 3

// Special string encodings, `11xxxxxx` with xxxxxx =
export const RDB_ENC_INT8 = 0
export const RDB_ENC_INT16 = 1
export const RDB_ENC_INT32 = 2
export const RDB_ENC_LZF = 3

// Module serialization opcodes (RDB_MODULE_OPCODE_*), used to skip module values we cannot load.
export const RDB_MODULE_OPCODE_EOF = 0
export const RDB_MODULE_OPCODE_SINT = 1
export const RDB_MODULE_OPCODE_UINT = 2
export const RDB_MODULE_OPCODE_FLOAT = 3
export const RDB_MODULE_OPCODE_DOUBLE = 4
export const RDB_MODULE_OPCODE_STRING = 5

// Quicklist-2 node containers (quicklist.h).
export const QUICKLIST_NODE_CONTAINER_PLAIN = 1
export const QUICKLIST_NODE_CONTAINER_PACKED = 2

// Type 3 zsets store scores as strings with these special length bytes (rdbLoadDoubleValue).
export const RDB_DOUBLE_NAN = 253
export const RDB_DOUBLE_POS_INF = 254
export const RDB_DOUBLE_NEG_INF = 255

/** Strings up to this long are tried as integers when written (rdbSaveRawString). */
export const RDB_INT_ENCODING_MAX_CHARS = 11
/** Strings longer than this are tried with LZF when compression is on (rdbSaveRawString). */
export const RDB_LZF_MIN_CHARS = 20
/** LZF is used only when it saves at least this many bytes (rdbSaveLzfStringObject). */
export const RDB_LZF_MIN_SAVING = 4
