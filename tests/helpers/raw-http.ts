import { connect, type Socket } from 'node:net'

/**
 * Sends raw bytes to a loopback server and collects what comes back until the server closes the
 * socket or `timeoutMs` passes. For requests fetch() refuses to send (smuggling shapes, lies, floods).
 */
export const rawRequest = (port: number, payload: string | Buffer, timeoutMs = 5_000): Promise<{ text: string; closed: boolean }> =>
  new Promise((done) => {
    const socket: Socket = connect(port, '127.0.0.1')
    let text = ''
    let closed = false
    const timer = setTimeout(() => {
      socket.destroy()
      done({ text, closed })
    }, timeoutMs)
    socket.on('data', (d) => (text += d.toString('latin1')))
    socket.on('error', () => {})
    socket.on('close', () => {
      closed = true
      clearTimeout(timer)
      done({ text, closed })
    })
    socket.write(payload)
  })

/** The status codes of every response in a raw HTTP/1.1 exchange, in order. */
export const statuses = (text: string): number[] => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))
