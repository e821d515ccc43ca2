// Static files over the master's HTTP server: the demo dashboard (a Vite build) served from the same
// origin as the replication WebSocket, so the page connects to ws://<its own host>/replication.
//
//   GET /                 → <root>/index.html
//   GET /assets/app-1a2b.js → the file, with its content type and cache headers
//   anything else         → 404; a method other than GET or HEAD → 405; a path that leaves root → 403
//
// Cache policy, as Vite's docs recommend: files under `immutablePrefix` (Vite puts every hashed asset
// in /assets/) are cached for a year and never revalidated; every other file (index.html, sw.js, the
// manifest) is `no-cache`: the browser may keep it but asks again each time, answered by 304 when its
// ETag still matches. The service worker in particular must be revalidated, or an update never lands.
//
// Safety: the path is decoded once, must not hold NUL, a backslash or a `.`/`..` segment (403), and
// its resolved real path (symlinks followed) must stay inside the real path of `root` (403).
// Dotfiles are not served (404).
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'

export interface StaticHandlerOptions {
  /** The folder to serve (e.g. apps/dashboard/dist). */
  readonly root: string
  /** Served for `/` (and for any path ending in `/` that names a folder). @default 'index.html' */
  readonly index?: string
  /** Paths under this prefix are content-hashed and cached forever. @default '/assets/' */
  readonly immutablePrefix?: string
}

/** Answers one request; resolves once the response is under way. Never rejects. */
export type StaticHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>

export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
})

const IMMUTABLE = 'public, max-age=31536000, immutable'
const REVALIDATE = 'no-cache'

function plain(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers })
  response.end(`${text}\n`)
}

/** The request's path as a relative file path, or null when it is not an acceptable path. */
export function safeRelativePath(url: string | undefined, index: string): string | null {
  const rawPath = (url ?? '/').split(/[?#]/, 1)[0]!
  let path: string
  try {
    path = decodeURIComponent(rawPath)
  } catch {
    return null
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return null
  const segments = path.split('/').slice(1)
  if (segments.some((s) => s === '..' || s === '.')) return null
  if (path.endsWith('/')) segments[segments.length - 1] = index
  return segments.join('/')
}

export function createStaticHandler(options: StaticHandlerOptions): StaticHandler {
  const root = resolve(options.root)
  const index = options.index ?? 'index.html'
  const immutablePrefix = options.immutablePrefix ?? '/assets/'
  let realRoot: Promise<string> | null = null

  return async (request, response) => {
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        plain(response, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' })
        return
      }
      const relative = safeRelativePath(request.url, index)
      if (relative === null) {
        plain(response, 403, 'Forbidden')
        return
      }
      realRoot ??= realpath(root).catch((error: unknown) => {
        realRoot = null
        throw error
      })
      if (relative.split('/').some((s) => s.startsWith('.'))) {
        plain(response, 404, 'Not Found')
        return
      }
      let file: string
      let size: number
      let mtimeMs: number
      try {
        const base = await realRoot
        file = await realpath(join(base, relative))
        if (file !== base && !file.startsWith(base + sep)) {
          plain(response, 403, 'Forbidden')
          return
        }
        const info = await stat(file)
        if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' })
        size = info.size
        mtimeMs = info.mtimeMs
      } catch {
        plain(response, 404, 'Not Found')
        return
      }
      const etag = `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`
      const headers: Record<string, string> = {
        'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Cache-Control': `/${relative}`.startsWith(immutablePrefix) ? IMMUTABLE : REVALIDATE,
        ETag: etag,
        'Last-Modified': new Date(mtimeMs).toUTCString(),
        'X-Content-Type-Options': 'nosniff',
      }
      if (relative.endsWith('sw.js')) headers['Service-Worker-Allowed'] = '/'
      if (request.headers['if-none-match'] === etag) {
        response.writeHead(304, headers).end()
        return
      }
      response.writeHead(200, { ...headers, 'Content-Length': String(size) })
      if (request.method === 'HEAD') {
        response.end()
        return
      }
      const stream = createReadStream(file)
      stream.on('error', () => response.destroy())
      stream.pipe(response)
    } catch {
      if (!response.headersSent) plain(response, 500, 'Internal Server Error')
      else response.destroy()
    }
  }
}
