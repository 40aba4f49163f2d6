type Closer = { name: string; close: () => Promise<unknown> | unknown }

const closers: Closer[] = []

/**
 * Registers something to close at shutdown (clients, relays, log flush), in registration order reversed.
 * @example
 * onShutdown('redis', () => client.quit())
 */
export const onShutdown = (name: string, close: Closer['close']): void => {
  closers.push({ name, close })
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
