// LZF, the compression Redis applies to RDB strings (`rdbcompression yes`): a port of liblzf 3.x as
// vendored by Redis (lzf_c.c with VERY_FAST, lzf_d.c with CHECK_INPUT). Any LZF decoder reads what
// `lzfCompress` writes; the bytes can differ from Redis's because Redis does not clear its hash
// table between calls (INIT_HTAB 0), which only changes which earlier match is found.
//
// Format (lzf_c.c):  000LLLLL <L+1 literal bytes>
//                    LLLooooo oooooooo             back reference of L+2 bytes, L in 1..6
//                    111ooooo LLLLLLLL oooooooo    back reference of L+9 bytes
// where the reference starts `o + 1` bytes before the output position and may overlap it.
//
// Deliberately left out: the streaming `lzf` file format (block headers); Redis never uses it.

/** log2 of the hash table size; Redis's lzfP.h uses 16. */
const HLOG = 16
const HSIZE = 1 << HLOG
const MAX_LIT = 1 << 5
const MAX_OFF = 1 << 13
const MAX_REF = (1 << 8) + (1 << 3)

// Positions in the hash table are stored as `generation + index`. Each call starts a new generation
// above every position stored so far, so entries from earlier calls read as "before the input" and
// are ignored: the table never needs clearing between the millions of small strings of a snapshot.
const table = new Int32Array(HSIZE)
let generation = 1

/**
 * Compresses `src[srcStart, srcEnd)` into `dst[dstStart, dstEnd)`. Returns the number of bytes
 * written, or 0 when the compressed form does not fit (then `dst` holds garbage), as `lzf_compress`
 * does. Redis passes `dstEnd - dstStart = length - 4` so that compression must save 4 bytes.
 */
export function lzfCompress(
  src: Uint8Array, srcStart: number, srcEnd: number,
  dst: Uint8Array, dstStart: number, dstEnd: number,
): number {
  const inLength = srcEnd - srcStart
  const outLength = dstEnd - dstStart
  if (inLength <= 0 || outLength <= 0) return 0
  if (generation > 0x7fffffff - inLength - 1) {
    table.fill(0)
    generation = 1
  }
  const base = generation - srcStart // table value = base + absolute index in src
  generation += inLength + 1

  const inEnd = srcEnd
  const outEnd = dstEnd
  let ip = srcStart
  let op = dstStart
  let lit = 0
  op++ // start run

  let hval = (src[ip]! << 8) | src[ip + 1]!
  while (ip < inEnd - 2) {
    hval = (hval << 8) | src[ip + 2]!
    let slot = ((hval >>> 8) - Math.imul(hval, 5)) & (HSIZE - 1)
    const ref = table[slot]! - base
    table[slot] = base + ip
    const off = ip - ref - 1
    if (
      ref > srcStart && off >= 0 && off < MAX_OFF && ip + 4 < inEnd &&
      src[ref] === src[ip] && src[ref + 1] === src[ip + 1] && src[ref + 2] === src[ip + 2]
    ) {
      let len = 2
      let maxlen = inEnd - ip - len
      if (maxlen > MAX_REF) maxlen = MAX_REF

      dst[op - lit - 1] = lit - 1 // stop run
      if (lit === 0) op-- // undo run if length is zero
      if (op + 3 + 1 >= outEnd) return 0

      // lzf_c.c unrolls 16 comparisons when more than 16 bytes may match; the result is the same
      // as this loop except that it can overshoot maxlen by up to 2 (always within the input).
      let matched = true
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++
          if (src[ref + len] !== src[ip + len]) {
            matched = false
            break
          }
        }
      }
      if (matched) {
        do len++
        while (len < maxlen && src[ref + len] === src[ip + len])
      }

      len -= 2 // len is now #octets - 1
      ip++
      if (len < 7) {
        dst[op++] = (off >>> 8) + (len << 5)
      } else {
        dst[op++] = (off >>> 8) + (7 << 5)
        dst[op++] = len - 7
      }
      dst[op++] = off & 0xff
      lit = 0
      op++ // start run

      ip += len + 1
      if (ip >= inEnd - 2) break

      // VERY_FAST: hash the last two positions of the match only.
      ip -= 2
      hval = (src[ip]! << 8) | src[ip + 1]!
      hval = (hval << 8) | src[ip + 2]!
      slot = ((hval >>> 8) - Math.imul(hval, 5)) & (HSIZE - 1)
      table[slot] = base + ip
      ip++
      hval = (hval << 8) | src[ip + 2]!
      slot = ((hval >>> 8) - Math.imul(hval, 5)) & (HSIZE - 1)
      table[slot] = base + ip
      ip++
    } else {
      if (op >= outEnd) return 0
      lit++
      dst[op++] = src[ip++]!
      if (lit === MAX_LIT) {
        dst[op - lit - 1] = lit - 1 // stop run
        lit = 0
        op++ // start run
      }
    }
  }

  if (op + 3 > outEnd) return 0 // at most 3 bytes can be missing here
  while (ip < inEnd) {
    lit++
    dst[op++] = src[ip++]!
    if (lit === MAX_LIT) {
      dst[op - lit - 1] = lit - 1
      lit = 0
      op++
    }
  }
  dst[op - lit - 1] = lit - 1 // end run
  if (lit === 0) op-- // undo run if length is zero
  return op - dstStart
}

/** `lzfDecompress` result: the output would exceed the expected length (lzf_d.c's E2BIG). */
export const LZF_OUTPUT_OVERFLOW = -1
/** `lzfDecompress` result: a truncated sequence or a reference before the output start (EINVAL). */
export const LZF_INVALID = -2

/**
 * Decompresses `src[srcStart, srcEnd)` into `dst[0, dstLength)`. Returns the number of bytes
 * written, or LZF_OUTPUT_OVERFLOW / LZF_INVALID. Redis then requires the count to equal the stored
 * length.
 */
export function lzfDecompress(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstLength = dst.length): number {
  let ip = srcStart
  let op = 0
  const outEnd = Math.min(dstLength, dst.length)
  while (ip < srcEnd) {
    let ctrl = src[ip++]!
    if (ctrl < 1 << 5) {
      ctrl++ // literal run of ctrl bytes
      if (op + ctrl > outEnd) return LZF_OUTPUT_OVERFLOW
      if (ip + ctrl > srcEnd) return LZF_INVALID
      if (ctrl > 8) {
        dst.set(src.subarray(ip, ip + ctrl), op)
        op += ctrl
        ip += ctrl
      } else {
        while (ctrl-- > 0) dst[op++] = src[ip++]!
      }
    } else {
      let len = ctrl >>> 5
      let ref = op - ((ctrl & 0x1f) << 8) - 1
      if (ip >= srcEnd) return LZF_INVALID
      if (len === 7) {
        len += src[ip++]!
        if (ip >= srcEnd) return LZF_INVALID
      }
      ref -= src[ip++]!
      if (op + len + 2 > outEnd) return LZF_OUTPUT_OVERFLOW
      if (ref < 0) return LZF_INVALID
      // Byte by byte: the reference may overlap the bytes being written (run-length repeats).
      len += 2
      while (len-- > 0) dst[op++] = dst[ref++]!
    }
  }
  return op
}
