// Glob-style matching for KEYS and SCAN MATCH, ported from Redis's stringmatchlen (util.c) so that
// every pattern, malformed ones included, matches exactly what Redis matches:
//   *  any run of bytes      ?  one byte      [abc] [^abc] [a-z]  one byte of a set      \x  x literally
// Quirks kept on purpose: an unterminated '[' set still matches; range bounds compare as signed
// chars (bytes >= 0x80 are negative on x86, so "[a-\xff]" is not what it looks like); a pattern
// nesting more than 1000 '*' gives up (Redis's guard against abusive patterns, CVE-2022-36021).
import type { ByteString } from '../bytes.ts'

function signedChar(c: number): number {
  return c >= 128 ? c - 256 : c
}

interface MatchState {
  skipLongerMatches: boolean
}

function matchAt(p: string, pi: number, pLen: number, s: string, si: number, sLen: number, state: MatchState, nesting: number): boolean {
  if (nesting > 1000) return false
  // C reads past the end of the pattern into its NUL terminator; NaN compares unequal to everything.
  const pc = (i: number): number => (i < p.length ? p.charCodeAt(i) : 0)
  while (pLen > 0 && sLen > 0) {
    switch (pc(pi)) {
      case 42 /* * */: {
        while (pLen > 0 && pc(pi + 1) === 42) {
          pi++
          pLen--
        }
        if (pLen === 1) return true
        while (sLen > 0) {
          if (matchAt(p, pi + 1, pLen - 1, s, si, sLen, state, nesting + 1)) return true
          if (state.skipLongerMatches) return false
          si++
          sLen--
        }
        state.skipLongerMatches = true
        return false
      }
      case 63 /* ? */:
        si++
        sLen--
        break
      case 91 /* [ */: {
        pi++
        pLen--
        const not = pc(pi) === 94 /* ^ */
        if (not) {
          pi++
          pLen--
        }
        let match = false
        const c = s.charCodeAt(si)
        for (;;) {
          if (pc(pi) === 92 /* \ */ && pLen >= 2) {
            pi++
            pLen--
            if (pc(pi) === c) match = true
          } else if (pc(pi) === 93 /* ] */) {
            break
          } else if (pLen === 0) {
            pi--
            pLen++
            break
          } else if (pLen >= 3 && pc(pi + 1) === 45 /* - */) {
            let start = signedChar(pc(pi))
            let end = signedChar(pc(pi + 2))
            if (start > end) {
              const t = start
              start = end
              end = t
            }
            const sc = signedChar(c)
            pi += 2
            pLen -= 2
            if (sc >= start && sc <= end) match = true
          } else if (pc(pi) === c) {
            match = true
          }
          pi++
          pLen--
        }
        if (not) match = !match
        if (!match) return false
        si++
        sLen--
        break
      }
      default: {
        if (pc(pi) === 92 /* \ */ && pLen >= 2) {
          pi++
          pLen--
        }
        if (pc(pi) !== s.charCodeAt(si)) return false
        si++
        sLen--
        break
      }
    }
    pi++
    pLen--
    if (sLen === 0) {
      while (pc(pi) === 42) {
        pi++
        pLen--
      }
      break
    }
  }
  return pLen === 0 && sLen === 0
}

/** Redis's stringmatchlen(pattern, string, nocase = 0). */
export function globMatch(pattern: ByteString, s: ByteString): boolean {
  return matchAt(pattern, 0, pattern.length, s, 0, s.length, { skipLongerMatches: false }, 0)
}

/** True for the pattern "*", which Redis short-cuts to "everything". */
export function isMatchAll(pattern: ByteString): boolean {
  return pattern.length === 1 && pattern === '*'
}
