// The dashboard's service worker: keeps the app shell (HTML, JS, CSS, icons) so that the page opens
// without network; the data then comes from IndexedDB through the replica.
//
//   install   precache every file of the build (the list and a version are written into this file
//             by vite.config.ts at build time), then take over at once
//   activate  delete the caches of older versions
//   fetch     navigations: network first (a new build is seen at once), the cached page when the
//             network fails or takes over NAVIGATION_TIMEOUT_MS; other same-origin GETs: cache first
//
// The replication WebSocket never goes through a service worker.
//
// Written against a few local types: the project's TypeScript program has the DOM library, whose
// globals clash with the WebWorker library's.
interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface FetchEventLike extends ExtendableEventLike {
  readonly request: Request
  respondWith(response: Response | Promise<Response>): void
}
interface ServiceWorkerScopeLike {
  readonly registration: { readonly scope: string }
  readonly clients: { claim(): Promise<void> }
  skipWaiting(): Promise<void>
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEventLike) => void): void
  addEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void
}

interface PrecacheManifest {
  readonly version: string
  readonly files: readonly string[]
}

const sw = self as unknown as ServiceWorkerScopeLike
// Replaced at build time by vite.config.ts with the JSON of a PrecacheManifest.
const MANIFEST = JSON.parse('__REPLICAST_PRECACHE_MANIFEST__') as PrecacheManifest
const CACHE_PREFIX = 'replicast-dashboard-'
const CACHE = `${CACHE_PREFIX}${MANIFEST.version}`
const NAVIGATION_TIMEOUT_MS = 4000

const scoped = (path: string): string => new URL(path, sw.registration.scope).href

sw.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE)
    // `cache: 'reload'`: bypass the HTTP cache, or a stale index.html could be stored.
    await cache.addAll(MANIFEST.files.map((file) => new Request(scoped(file), { cache: 'reload' })))
    await sw.skipWaiting()
  })())
})

sw.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name)
    }
    await sw.clients.claim()
  })())
})

async function fromNetworkOrCache(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE)
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('navigation timed out')), NAVIGATION_TIMEOUT_MS)),
    ])
    if (response.ok) await cache.put(scoped('index.html'), response.clone())
    return response
  } catch (error) {
    const cached = (await cache.match(scoped('index.html'))) ?? (await cache.match(scoped('./')))
    if (cached !== undefined) return cached
    throw error
  }
}

async function fromCacheOrNetwork(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE)
  const cached = await cache.match(request, { ignoreSearch: true })
  if (cached !== undefined) return cached
  const response = await fetch(request)
  if (response.ok && response.type === 'basic') await cache.put(request, response.clone())
  return response
}

sw.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== new URL(sw.registration.scope).origin) return
  if (request.mode === 'navigate') event.respondWith(fromNetworkOrCache(request))
  else event.respondWith(fromCacheOrNetwork(request))
})
