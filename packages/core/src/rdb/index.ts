// The public surface of core/rdb: re-exports only.
export { Crc64, crc64, crc64Update } from './crc64.ts'
export { lzfCompress, lzfDecompress, LZF_INVALID, LZF_OUTPUT_OVERFLOW } from './lzf.ts'
export {
  RDB_ERROR_CODES, RDB_WARNING_CODES, RdbError, RdbLimitError, RdbWriteError,
  type RdbErrorCode, type RdbWarning, type RdbWarningCode,
} from './errors.ts'
export { RDB_READER_DEFAULTS, type RdbReaderOptions } from './limits.ts'
export { RdbReader, type RdbEvent } from './reader.ts'
export { encodeRdb, RDB_WRITER_DEFAULTS, RdbWriter, type RdbAux, type RdbDbSizes, type RdbWriterOptions } from './writer.ts'
export { readRdbValue, writeRdbValue, type RdbValueOptions } from './value.ts'
export * as RdbOpcodes from './opcodes.ts'
