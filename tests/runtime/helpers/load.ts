import { Agent, get } from 'node:http'

export interface LoadStats {
  sent: number
  ok: number
  failed: number
  /** Failure reasons, counted. */
  errors: Record<string, number>
  /** Requests answered per worker PID (paths answering `{pid}`). */
  pids: Map<number, number>
}

export interface LoadOptions {
  port: number
  /** One path per loop, cycled: mix fast and slow endpoints. */
  paths: string[]
  concurrency: number
  /** Loops with an index below this send `Connection: close` (a new connection per request). */
  closeLoops?: number
  timeoutMs?: number
}

interface Answer {
  status: number
  body: string
  reusable: boolean
}

const request = (agent: Agent, port: number, path: string, close: boolean, timeoutMs: number) =>
  new Promise<Answer>((ok, fail) => {
    const req = get({ host: '127.0.0.1', port, path, agent, headers: close ? { Connection: 'close' } : {} }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => ok({ status: res.statusCode ?? 0, body, reusable: !close && res.headers.connection !== 'close' }))
      res.on('error', fail)
    })
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })))
    req.on('error', fail)
  })

/**
 * Steady load: `concurrency` loops, each sending its next request as soon as the last answered, each on its
 * own keep-alive connection (Node's http.Agent, one socket). `acceptedOnly()` switches to the SIGTERM
 * contract: a loop stops once the server closed its connection, instead of opening a new one (new
 * connections after the signal are not "accepted requests").
 */
export const startLoad = ({ port, paths, concurrency, closeLoops = 0, timeoutMs = 15_000 }: LoadOptions) => {
  const stats: LoadStats = { sent: 0, ok: 0, failed: 0, errors: {}, pids: new Map() }
  let running = true
  let onlyAccepted = false
  const fail = (why: string) => {
    stats.failed++
    stats.errors[why] = (stats.errors[why] ?? 0) + 1
  }
  const loop = async (i: number) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const close = i < closeLoops
    const path = paths[i % paths.length]!
    let reusable = false
    while (running && !(onlyAccepted && !reusable)) {
      stats.sent++
      try {
        const a = await request(agent, port, path, close, timeoutMs)
        reusable = a.reusable
        if (a.status !== 200) {
          fail(`HTTP ${a.status}`)
          continue
        }
        const body = JSON.parse(a.body) as { code?: number; pid?: number }
        if (body.code !== 200) {
          fail(`code ${body.code}`)
          continue
        }
        stats.ok++
        if (body.pid) stats.pids.set(body.pid, (stats.pids.get(body.pid) ?? 0) + 1)
      } catch (err) {
        reusable = false
        fail((err as { code?: string }).code ?? (err as Error).message)
      }
    }
    agent.destroy()
  }
  const loops = Array.from({ length: concurrency }, (_, i) => loop(i))
  return {
    stats,
    /** From now on, no new connections: finish on the ones the server keeps open. */
    acceptedOnly: () => {
      onlyAccepted = true
    },
    /** Resolves once every loop has finished its last request. */
    stop: async (): Promise<LoadStats> => {
      running = false
      await Promise.all(loops)
      return stats
    },
    /** Resolves when every loop has ended on its own (after `acceptedOnly()` and the server closing). */
    drained: () => Promise.all(loops).then(() => stats),
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
