// For tests (unit tests with fake-indexeddb, and the e2e page in Chromium): another tab's view of a
// replica's IndexedDB database.

/**
 * Opens `name` at `version` from another connection, as a tab running another version of the app
 * would; with `abortUpgrade` that tab gives up in onupgradeneeded (the database stays as it was).
 * Rejects if the open is blocked: a connection of ours that does not close on versionchange would
 * keep the other tab waiting.
 */
export function openDatabaseAt(factory: IDBFactory, name: string, version: number, abortUpgrade = false): Promise<'opened' | 'aborted'> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, version)
    request.onblocked = () => reject(new Error(`opening ${name} at version ${version} was blocked by a connection that stayed open`))
    request.onupgradeneeded = () => {
      if (abortUpgrade) request.transaction!.abort()
    }
    request.onsuccess = () => {
      request.result.close()
      resolve('opened')
    }
    request.onerror = (event) => {
      event.preventDefault()
      if (abortUpgrade && request.error?.name === 'AbortError') resolve('aborted')
      else reject(request.error ?? new Error(`opening ${name} at version ${version} failed`))
    }
  })
}

/** Deletes `name` from another connection; rejects if a connection of ours blocks it. */
export function deleteDatabaseElsewhere(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = factory.deleteDatabase(name)
    request.onblocked = () => reject(new Error(`deleting ${name} was blocked by a connection that stayed open`))
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error ?? new Error(`deleting ${name} failed`))
  })
}
