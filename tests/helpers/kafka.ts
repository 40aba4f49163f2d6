import { spawn, type ChildProcess } from 'node:child_process'

/** One message as kcat's `-J` envelope prints it. */
export interface KcatMessage {
  topic: string
  partition: number
  offset: number
  key: string | null
  payload: string | null
  /** kcat prints headers as a flat `[name, value, name, value…]` list. */
  headers?: string[]
}

export interface MockKafka {
  /** `127.0.0.1:PORT` of the mock broker. */
  broker: string
  topic: string
  /** Every message consumed so far, in arrival order. */
  messages: KcatMessage[]
  /** Resolves once `n` messages arrived; rejects after `timeoutMs` naming how many did. */
  waitFor(n: number, timeoutMs?: number): Promise<KcatMessage[]>
  /** Kills this kcat (and with it the broker), by its pid. */
  stop(): Promise<void>
}

export const headersOf = (m: KcatMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < (m.headers?.length ?? 0); i += 2) out[m.headers![i]!] = m.headers![i + 1]!
  return out
}

/**
 * Starts librdkafka's mock cluster through kcat, consuming `topic` from the beginning. Each call is a new,
 * empty broker on a new port.
 * @example
 * const k = await startMockKafka('flyer_test_abc')
 * // … produce to k.broker …
 * const [m] = await k.waitFor(1)
 */
export const startMockKafka = (topic: string, timeoutMs = 10_000): Promise<MockKafka> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      'kcat',
      ['-b', 'unused:1', '-C', '-t', topic, '-X', 'test.mock.num.brokers=1', '-d', 'mock', '-o', 'beginning', '-J', '-u'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const messages: KcatMessage[] = []
    const waiters = new Set<() => void>()
    let stderr = ''
    let found = false
    let buffered = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`kcat printed no bootstrap.servers within ${timeoutMs} ms:\n${stderr.slice(-2000)}`))
    }, timeoutMs)
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim()
        buffered = buffered.slice(nl + 1)
        if (line.startsWith('{')) messages.push(JSON.parse(line) as KcatMessage)
      }
      for (const w of waiters) w()
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      // Keep draining stderr (the mock's debug log) so kcat never blocks on a full pipe.
      if (found) return
      stderr += chunk
      const m = /bootstrap\.servers=(127\.0\.0\.1:\d+)/.exec(stderr)
      if (!m) return
      found = true
      clearTimeout(timer)
      const exited = new Promise<void>((done) => child.once('exit', () => done()))
      resolve({
        broker: m[1]!,
        topic,
        messages,
        waitFor: (n, waitMs = 15_000) =>
          new Promise((ok, fail) => {
            const check = () => {
              if (messages.length < n) return
              waiters.delete(check)
              clearTimeout(t)
              ok(messages.slice())
            }
            const t = setTimeout(() => {
              waiters.delete(check)
              fail(new Error(`expected ${n} Kafka messages on ${topic}, got ${messages.length} within ${waitMs} ms`))
            }, waitMs)
            waiters.add(check)
            check()
          }),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
          await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        },
      })
    })
  })
