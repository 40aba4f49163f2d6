import closeWithGrace from 'close-with-grace'
import { HEARTBEAT_MS, isFlyerMessage, type RetireReason, type WorkerMessage } from './cluster-messages.ts'
import { config } from './config.ts'
import { processSend } from './log-forward.ts'
import { closeLogs, forwardLogsTo, logger } from './logger.ts'
import { redactedConfig } from './redact.ts'
import { beginShutdown, closeAll } from './shutdown.ts'
import { startWorkerServices } from './worker-services.ts'

export interface ServableApp {
  fetch: (req: Request, env?: object) => Response | Promise<Response>
}

export interface RunWorkerOptions {
  /** Imports and builds the app; only workers call it, so the primary never loads routes or clients. */
  loadApp: () => Promise<ServableApp>
  /** Forked by the primary (cluster worker), or the whole server in one process (`npm run dev`). */
  supervised: boolean
}

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'

/**
 * One worker's life: build the app, start worker services, listen, then serve until told to stop (by the
 * primary, a signal or a fatal error) and drain. A supervised worker sends its log lines and a heartbeat
 * to the primary and asks to be replaced after `flyer_max_requests` requests or above `flyer_max_rss_mb`.
 */
export const runWorker = async ({ loadApp, supervised }: RunWorkerOptions): Promise<void> => {
  const c = config()
  const send = supervised ? processSend() : undefined
  const tell = (m: WorkerMessage) => {
    if (send && process.connected) process.send!(m)
  }
  if (send) forwardLogsTo(send)
  const heartbeat = send ? setInterval(() => tell({ flyer: 'heartbeat' }), HEARTBEAT_MS) : undefined
  heartbeat?.unref()
  const log = logger()
  if (!supervised) log.info({ config: redactedConfig(c) }, 'effective configuration')

  const app = await loadApp()
  await startWorkerServices(log)

  let retiring = false
  const retire = (reason: RetireReason, detail: { requests?: number; rssMb?: number } = {}) => {
    if (retiring || !send) return
    retiring = true
    log.info({ reason, ...detail }, `worker asks to be replaced (${reason})`)
    tell({ flyer: 'retire', reason, ...detail })
  }
  if (!supervised && (c.maxRequests.enabled || c.maxRssMb)) {
    log.warn('flyer_enable_max_requests/flyer_max_rss_mb need the primary process (npm start): ignored in a single process')
  }
  // gunicorn's jitter: randint(0, jitter). Math.random, not node:crypto, which costs Bun ~12 ms to load.
  const limit = c.maxRequests.enabled ? c.maxRequests.max + Math.floor(Math.random() * (c.maxRequests.jitter + 1)) : 0
  const onRequest = limit && send ? (n: number) => n >= limit && retire('max-requests', { requests: n }) : undefined

  const served = isBun
    ? await (await import('./serve-bun.ts')).serveBun({ fetch: app.fetch, config: c, reusePort: supervised, onRequest })
    : await (await import('./serve-node.ts')).serveNode({ fetch: app.fetch, config: c, onRequest })

  const rssGuard =
    c.maxRssMb > 0 && send
      ? setInterval(() => {
          const rssMb = Math.round(process.memoryUsage.rss() / 1048576)
          if (rssMb > c.maxRssMb) retire('max-rss', { rssMb })
        }, 2000)
      : undefined
  rssGuard?.unref()

  /**
   * node:cluster's primary may have handed this worker a new connection just before it saw the listener
   * close. Such a handoff is answered "not accepted" and goes to another worker — if this process still
   * runs; exiting first leaks it, and that client waits forever (seen once in ~5 000 requests of a SIGHUP
   * reload under load). The channel is ordered: once the primary answers `drained`, sent after the close,
   * every handoff it sent before has been received and answered.
   */
  const settleHandoffs = () =>
    new Promise<void>((done) => {
      if (!send || !process.connected || isBun) return done()
      const timer = setTimeout(finish, 2000)
      function finish() {
        clearTimeout(timer)
        process.off('message', onAck)
        done()
      }
      function onAck(m: unknown) {
        if (isFlyerMessage(m) && m.flyer === 'drained-ack') finish()
      }
      process.on('message', onAck)
      tell({ flyer: 'drained' })
    })

  let stopping: Promise<void> | undefined
  const stop = (why: string) =>
    (stopping ??= (async () => {
      beginShutdown(why)
      clearInterval(rssGuard)
      const started = Date.now()
      const { forced } = await served.drain(c.gracefulTimeoutSec * 1000)
      await settleHandoffs()
      if (forced) log.warn({ forced, gracefulTimeoutSec: c.gracefulTimeoutSec }, `graceful timeout passed: cut ${forced} open connection(s)`)
      await closeAll(log)
      log.info({ why, drainMs: Date.now() - started }, 'worker stopped')
      clearInterval(heartbeat)
      await closeLogs()
    })())

  const grace = closeWithGrace(
    {
      // Our own drain ends at flyer_graceful_timeout; this only catches a close that hangs after it.
      delay: (c.gracefulTimeoutSec + 5) * 1000,
      // SIGHUP is the primary's (rolling reload); a worker ignores it.
      skip: ['SIGHUP'],
      logger: { error: (m: unknown) => log.error({ err: m }, 'shutdown') },
    },
    async ({ signal, err }) => {
      if (err) {
        log.error({ err }, 'fatal error, worker stopping')
        retire('error')
      }
      await stop(signal ?? (err ? 'error' : 'shutdown'))
    },
  )
  process.on('SIGHUP', () => {})
  process.on('message', (m: unknown) => {
    if (isFlyerMessage(m) && m.flyer === 'shutdown') void grace.close()
  })

  const where = { host: c.host, port: served.port, runtime: isBun ? 'bun' : 'node', maxRequests: limit || undefined }
  if (supervised) log.info(where, 'worker listening')
  else log.info({ ...where, url: `http://${c.host}:${served.port}${c.prefix}/docs` }, `Flyer listening on ${c.host}:${served.port}`)
  tell({ flyer: 'ready', port: served.port })
}
