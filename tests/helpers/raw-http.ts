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

/**
 * Writes `parts` to a loopback server `gapMs` apart — separate packets, so the server parses each before
 * the next arrives — and resolves with everything it answered once it closes the connection.
 * @example
 * const request = httpRequest('POST', '/flyer/v1/demo', { body: '{"msgContent":"x"}' })
 * await exchange(port, splitAfterHeaders(request)) // the body in a packet of its own
 */
export const exchange = (port: number, parts: string[], gapMs = 60): Promise<string> =>
  new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.setNoDelay(true)
    socket.on('data', (d) => (text += d.toString('utf8')))
    socket.on('error', fail)
    socket.on('close', () => done(text))
    parts.forEach((part, i) => setTimeout(() => socket.write(part), i * gapMs))
  })

/**
 * One HTTP/1.1 request as a string, with Content-Length for its body; `close` (the default) asks the
 * server to close the connection after answering it.
 */
export const httpRequest = (method: string, path: string, { headers = {} as Record<string, string>, body = '', close = true } = {}): string =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}Content-Length: ${Buffer.byteLength(body)}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`

/** A request string cut after its header block: the headers, then the body. */
export const splitAfterHeaders = (request: string): [string, string] => {
  const end = request.indexOf('\r\n\r\n') + 4
  return [request.slice(0, end), request.slice(end)]
}

/** Status and body of every response in a raw HTTP/1.1 exchange (each framed by Content-Length), in order. */
export const responses = (text: string): { status: number; body: string }[] => {
  const out: { status: number; body: string }[] = []
  let rest = text
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n')
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(rest.slice(0, end))?.[1] ?? 0)
    out.push({ status: Number(rest.slice(9, 12)), body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
  return out
}
