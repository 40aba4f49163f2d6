type Closer = { name: string; close: () => Promise<unknown> | unknown }

const closers: Closer[] = []
let stopping = new AbortController()

/**
 * Registers something to close at shutdown (clients, relays, log flush), in registration order reversed.
 * @example
 * onShutdown('redis', () => client.quit())
 */
export const onShutdown = (name: string, close: Closer['close']): void => {
  closers.push({ name, close })
}

/**
 * A process-wide resource made on first use and closed at shutdown: calling the getter after the close
 * makes a fresh one. What the Redis, MySQL and Kafka getters are built on.
 * @example
 * export const redis = processResource('redis', () => createRedis(options()), closeRedis)
 */
export const processResource = <T>(name: string, create: () => T, close: (resource: T) => Promise<unknown>): (() => T) => {
  let current: T | undefined
  return () => {
    if (current !== undefined) return current
    const created = create()
    current = created
    onShutdown(name, async () => {
      if (current === created) current = undefined
      await close(created)
    })
    return created
  }
}

/** Closes every registered resource, newest first; one failing does not stop the others. */
export const closeAll = async (log?: { error(obj: object, msg: string): void }): Promise<void> => {
  for (const { name, close } of closers.splice(0).reverse()) {
    try {
      await close()
    } catch (err) {
      log?.error({ err, resource: name }, 'close failed at shutdown')
    }
  }
}

/**
 * True once this process has begun to stop (SIGTERM/SIGINT, or the worker is being recycled): the
 * readiness route answers 503 from then on, so load balancers stop sending new traffic.
 * @example
 * if (isShuttingDown()) return c.json({ code: 503, msg: 'shutting down' }, 503)
 */
export const isShuttingDown = (): boolean => stopping.signal.aborted

/**
 * Aborts when this process begins to stop: background loops (outbox relay, pollers) watch it to finish
 * their current batch and return.
 * @example
 * while (!shutdownSignal().aborted) await relayBatch()
 */
export const shutdownSignal = (): AbortSignal => stopping.signal

/** Marks the process as stopping (the worker's drain calls this first). Idempotent. */
export const beginShutdown = (reason = 'shutdown'): void => {
  if (!stopping.signal.aborted) stopping.abort(reason)
}

/** Forgets the stopping state (tests only). */
export const resetShutdownState = (): void => {
  stopping = new AbortController()
}
