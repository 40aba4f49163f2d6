import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A loopback TCP proxy in front of a real service, to take it "down" and bring it "back" without touching
 * the service: `down()` closes the listener and cuts every connection (a restart or network loss);
 * `up()` listens again on the same port.
 */
export const tcpProxy = async (target: { host: string; port: number }) => {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0
  const listen = () =>
    new Promise<void>((ok, fail) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host)
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on('close', () => sockets.delete(s))
          s.on('error', () => {
            client.destroy()
            upstream.destroy()
          })
        }
        client.pipe(upstream).pipe(client)
      })
      server.once('error', fail)
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port
        ok()
      })
    })
  await listen()
  return {
    get port() {
      return port
    },
    /** Cuts every open connection but keeps listening (a server restart as clients see it). */
    cut: () => {
      for (const s of sockets) s.destroy()
    },
    down: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => (server ? server.close(r) : r(undefined)))
      server = undefined
    },
    up: listen,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => (server ? server.close(r) : r(undefined)))
    },
  }
}
