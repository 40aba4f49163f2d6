import cluster, { type Worker } from 'node:cluster'
import { mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import closeWithGrace from 'close-with-grace'
import { HEARTBEAT_MS, isFlyerMessage, type PrimaryMessage, type WorkerMessage } from './cluster-messages.ts'
import type { Config } from './config.ts'
import { cgroupCpuLimit, workerCount } from './cpu-limit.ts'
import { forkSettings, singleThreadedGc } from './fork-settings.ts'
import { isLogMessage } from './log-forward.ts'
import { openLogWriters, primaryLog } from './primary-log.ts'
import { redactedConfig } from './redact.ts'

/**
 * The primary process: forks `flyer_workers` workers (node:cluster) and keeps them alive. It never loads
 * routes or clients — only config, its log and this file — so it stays small and cannot be taken down
 * by application code. It replaces dead, hung, worn-out (max-requests) and bloated (max-rss) workers,
 * reloads all of them one by one on SIGHUP, and drains everything on SIGTERM/SIGINT.
 */

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'

type State = 'starting' | 'serving' | 'draining'

interface Tracked {
  worker: Worker
  pid: number
  slot: number
  state: State
  forkedAt: number
  readyAt?: number
  lastBeat: number
  killTimer?: ReturnType<typeof setTimeout>
  exited: Promise<void>
}

interface Slot {
  current?: Tracked
  /** The replacement being started; it takes over once it listens. */
  next?: Tracked
  /** Consecutive quick deaths, for the restart backoff. */
  crashes: number
  timer?: ReturnType<typeof setTimeout>
  /** Settles when a pending replacement has taken over (or failed). */
  replaced?: { promise: Promise<boolean>; resolve: (ok: boolean) => void }
}

/** A worker that lived at least this long before dying counts as a fresh crash, not a crash loop. */
const STABLE_MS = 30_000
const MAX_BACKOFF_MS = 30_000

/** Restart delay after the nth quick death in a row: 0, 0.5 s, 1 s, 2 s … 30 s. */
export const backoffMs = (crashes: number): number => (crashes <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 500 * 2 ** (crashes - 2)))

export interface PrimaryOptions {
  /** The validated configuration; without it the first worker validates the environment and sends it. */
  config?: Config
}

/** The first worker, forked before the primary has its configuration (see `forkFirst`). */
interface FirstWorker {
  worker: Worker
  forkedAt: number
  /** What the worker validated and sent, or the primary's own validation if it died first. */
  config: Promise<Config>
  /** Stops holding the worker's events and emits the held ones again, for the handlers now attached. */
  release(): void
}

/** libuv's pool is sized when the worker starts, so it has to come in with the environment. */
const forkWorker = (threads: number): Worker => cluster.fork({ UV_THREADPOOL_SIZE: String(threads) })

/**
 * Forks the first worker with what the environment says plainly (lib/fork-settings.ts) and waits for the
 * configuration it validates and sends first thing (`{ flyer: 'config' }`): the primary does not load
 * the env schema (zod, ~45 ms of a Node start here, ~5 MB): its log uses what the worker sent
 * (lib/current-config.ts). Its events are held until
 * the primary has set up and attached its handlers. A worker that exits before sending it had a bad
 * setting (it printed the error) or failed otherwise: the primary then validates the environment
 * itself, and a bad setting stops Flyer with exit 2, as it did when the primary validated first.
 */
const forkFirst = (threads: number): FirstWorker => {
  const worker = forkWorker(threads)
  const forkedAt = Date.now()
  const held: [string, unknown[]][] = []
  const holders = (['message', 'exit', 'disconnect', 'error'] as const).map((event) => {
    const hold = (...args: unknown[]) => void held.push([event, args])
    worker.on(event, hold)
    return [event, hold] as const
  })
  const config = new Promise<Config>((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (!isFlyerMessage(m) || m.flyer !== 'config') return
      worker.off('exit', onExit)
      worker.off('message', onMessage)
      resolve((m as Extract<WorkerMessage, { flyer: 'config' }>).config)
    }
    const onExit = (code: number | null) => {
      worker.off('message', onMessage)
      import('./config.ts').then(({ config, ConfigError }) => {
        try {
          resolve(config())
        } catch (err) {
          if (!(err instanceof ConfigError)) return reject(err)
          // The worker printed the same error unless it died some other way first.
          if (code !== 2) console.error(err.message)
          process.exit(2)
        }
      }, reject)
    }
    worker.on('message', onMessage)
    worker.once('exit', onExit)
  })
  const release = () => {
    for (const [event, hold] of holders) worker.off(event, hold)
    for (const [event, args] of held.splice(0)) worker.emit(event, ...args)
  }
  return { worker, forkedAt, config, release }
}

/** Runs the primary until SIGTERM/SIGINT; SIGHUP replaces every worker one by one. */
export const runPrimary = async ({ config: given }: PrimaryOptions = {}): Promise<void> => {
  const early = forkSettings()
  const cpuLimit = cgroupCpuLimit()
  // Workers forward every log line over IPC. Node's default JSON channel escapes each quote of each JSON
  // line again (~12% of a busy worker's CPU with the access log on, measured); V8's serializer ('advanced')
  // copies strings as they are. Bun's cluster keeps its own channel.
  // node:cluster's round-robin has the primary accept every connection and pass it to a worker over IPC,
  // which balances several workers but delays each new connection's first request (p99 42–84 ms against
  // 6–8 ms measured with one worker, fresh connections under load). One worker has nothing to balance:
  // it accepts connections itself. An explicit NODE_CLUSTER_SCHED_POLICY still wins. (Frozen by
  // setupPrimary(), so set before the first fork: from the plainly read count, which a valid
  // configuration cannot contradict.)
  const plannedCount = workerCount(given ? given.workers : early.workers, () => cpuLimit)
  if (!isBun && plannedCount === 1 && !process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE
  // V8's GC helper threads, off for workers that have no CPU to spare for them (fork-settings.ts); node
  // flags the primary was started with (`node --single-threaded-gc …`, or its `--no-` form) still win.
  const ownGcFlag = process.execArgv.findLast((a) => a.includes('single-threaded-gc'))
  const addGcFlag = !isBun && ownGcFlag === undefined && singleThreadedGc(given ? given.workerGc : early.gc, plannedCount, cpuLimit ?? availableParallelism())
  if (!isBun) cluster.setupPrimary({ serialization: 'advanced', execArgv: addGcFlag ? [...process.execArgv, '--single-threaded-gc'] : process.execArgv })
  // What the workers run with, whoever decided it: the start-up line says so.
  const gc = isBun ? 'bun' : addGcFlag || ownGcFlag === '--single-threaded-gc' ? 'single-threaded' : 'parallel'

  const first = given ? undefined : forkFirst(early.threads)
  const c = given ?? (await first!.config)
  try {
    // The log opens once a worker listens (primary-log.ts): until then the CPU goes to the worker. A log
    // folder that cannot be made still stops Flyer here, before any worker serves.
    if (c.log.file && !c.dev) mkdirSync(resolve(c.log.dir), { recursive: true })
  } catch (err) {
    first?.worker.process.kill('SIGKILL')
    throw err
  }
  const log = primaryLog(openLogWriters(c))
  const count = workerCount(c.workers, () => cpuLimit)
  log.info({ config: redactedConfig(c) }, 'effective configuration')
  log.info({ workers: count, cpuLimit, explicit: c.workers !== undefined, threads: c.threads, gc }, `primary starting ${count} worker(s)`)

  const slots: Slot[] = Array.from({ length: count }, () => ({ crashes: 0 }))
  const tracked = new Map<number, Tracked>()
  let shuttingDown = false
  let announced = false
  let restarts = 0
  const timeoutMs = c.timeoutSec * 1000
  const bootAllowanceMs = Math.max(timeoutMs, 30_000)
  const drainKillMs = (c.gracefulTimeoutSec + 10) * 1000

  const send = (t: Tracked, m: PrimaryMessage) => {
    try {
      if (t.worker.isConnected()) t.worker.send(m)
    } catch {
      // already gone; its exit is handled
    }
  }

  const kill = (t: Tracked, signal: NodeJS.Signals) => {
    try {
      t.worker.process.kill(signal)
    } catch {
      // already gone
    }
  }

  const drainWorker = (t: Tracked) => {
    if (t.state === 'draining') return
    t.state = 'draining'
    if (t.readyAt === undefined) {
      // Never listened: nothing in flight.
      kill(t, 'SIGTERM')
    } else send(t, { flyer: 'shutdown' })
    t.killTimer = setTimeout(() => {
      log.error({ worker: t.pid, slot: t.slot }, `worker still draining after ${drainKillMs / 1000} s: killing it`)
      kill(t, 'SIGKILL')
    }, drainKillMs)
  }

  const fork = (slot: number, adopted?: FirstWorker): Tracked => {
    const worker = adopted?.worker ?? forkWorker(c.threads)
    const now = adopted?.forkedAt ?? Date.now()
    let markExited!: () => void
    const t: Tracked = { worker, pid: worker.process.pid ?? 0, slot, state: 'starting', forkedAt: now, lastBeat: now, exited: new Promise((r) => (markExited = r)) }
    tracked.set(worker.id, t)
    worker.on('message', (m: unknown) => onMessage(t, m))
    // Settle on exit and the channel's end both, so every log batch the worker sent has been read
    // (a runtime that never reports the end gets a second).
    let exitCode: number | null = null
    let exitSignal: string | null = null
    let exitedFlag = false
    let disconnected = false
    let settled = false
    const settle = () => {
      if (settled) return
      settled = true
      tracked.delete(worker.id)
      clearTimeout(t.killTimer)
      onExit(t, exitCode, exitSignal)
      markExited()
    }
    worker.on('exit', (code, signal) => {
      exitCode = code
      exitSignal = signal
      exitedFlag = true
      if (disconnected) settle()
      else setTimeout(settle, 1000)
    })
    worker.on('disconnect', () => {
      disconnected = true
      if (exitedFlag) settle()
    })
    worker.on('error', (err) => log.warn({ err, worker: t.pid }, 'worker channel error'))
    return t
  }

  const startSlot = (slot: number, adopted?: FirstWorker) => {
    const s = slots[slot]!
    s.timer = undefined
    if (shuttingDown) return
    s.current = fork(slot, adopted)
    // Its held events (log lines, `ready`, even its exit) now reach the handlers, as the slot's worker.
    adopted?.release()
  }

  /** Starts a replacement for the slot's worker; resolves true once it listens and the old one drains. */
  const replace = (slot: number, reason: string): Promise<boolean> => {
    const s = slots[slot]!
    if (s.replaced) return s.replaced.promise
    if (shuttingDown || !s.current) return Promise.resolve(false)
    let resolve!: (ok: boolean) => void
    const promise = new Promise<boolean>((r) => (resolve = r))
    s.replaced = { promise, resolve }
    log.info({ slot, worker: s.current.pid, reason }, `replacing worker ${s.current.pid} (${reason})`)
    s.next = fork(slot)
    return promise
  }

  const settleReplace = (s: Slot, ok: boolean) => {
    const r = s.replaced
    s.replaced = undefined
    r?.resolve(ok)
  }

  const onReady = (t: Tracked, port: number) => {
    t.readyAt = Date.now()
    const s = slots[t.slot]!
    if (t === s.next) {
      const old = s.current
      s.current = t
      s.next = undefined
      t.state = 'serving'
      restarts++
      log.info({ slot: t.slot, worker: t.pid, replaced: old?.pid, restarts }, `worker ${t.pid} listening, draining ${old?.pid ?? 'none'}`)
      if (old) drainWorker(old)
      settleReplace(s, true)
    } else if (t === s.current) {
      t.state = 'serving'
      log.info({ slot: t.slot, worker: t.pid }, `worker ${t.pid} listening`)
    }
    if (!announced && [...tracked.values()].some((w) => w.state === 'serving')) {
      announced = true
      log.info({ url: `http://${c.host}:${port}${c.prefix}/docs`, workers: count }, `Flyer listening on ${c.host}:${port}`)
    }
    openLog()
  }

  const onMessage = (t: Tracked, m: unknown) => {
    if (isLogMessage(m)) return log.forwarded(m.stream, m.data)
    if (!isFlyerMessage(m)) return
    const msg = m as WorkerMessage
    t.lastBeat = Date.now()
    if (msg.flyer === 'ready') onReady(t, msg.port)
    else if (msg.flyer === 'drained') {
      if (t.worker.isConnected()) t.worker.send({ flyer: 'drained-ack' } satisfies PrimaryMessage)
    } else if (msg.flyer === 'retire' && t === slots[t.slot]!.current && t.state === 'serving') {
      void replace(t.slot, msg.reason)
    }
  }

  const onExit = (t: Tracked, code: number | null, signal: string | null) => {
    openLog()
    const s = slots[t.slot]!
    const info = { worker: t.pid, slot: t.slot, code, signal, uptimeMs: Date.now() - t.forkedAt }
    if (t.state === 'draining' || shuttingDown) {
      log.info(info, `worker ${t.pid} exited (code ${code}${signal ? `, ${signal}` : ''})`)
      return
    }
    // An unexpected death: crash, OOM kill, kill -9, the hung-worker watchdog.
    s.crashes = info.uptimeMs >= STABLE_MS ? 1 : s.crashes + 1
    const delay = backoffMs(s.crashes)
    log.error({ ...info, restartInMs: delay }, `worker ${t.pid} died (code ${code}${signal ? `, signal ${signal}` : ''}); restarting${delay ? ` in ${delay} ms` : ''}`)
    if (t === s.next) {
      s.next = undefined
      settleReplace(s, false)
      // The old worker keeps serving; try again after the backoff.
      if (s.current) s.timer = setTimeout(() => void replace(t.slot, 'retry'), Math.max(delay, 500))
      return
    }
    if (t === s.current) {
      s.current = undefined
      restarts++
      if (s.next) {
        // Its replacement is already starting: promote it when it listens.
        s.current = s.next
        s.next = undefined
        settleReplace(s, true)
        return
      }
      s.timer = setTimeout(() => startSlot(t.slot), delay)
    }
  }

  // gunicorn's worker timeout: a worker that sends no heartbeat for flyer_timeout has a blocked event loop.
  const watchdog = setInterval(() => {
    const now = Date.now()
    for (const t of tracked.values()) {
      const allowance = t.readyAt === undefined ? bootAllowanceMs : timeoutMs
      if (now - t.lastBeat > allowance && t.worker.process.exitCode === null && !t.worker.process.signalCode) {
        log.error({ worker: t.pid, slot: t.slot, silentMs: now - t.lastBeat }, `worker ${t.pid} silent for ${Math.round((now - t.lastBeat) / 1000)} s (event loop blocked?): killing it`)
        t.lastBeat = now
        kill(t, 'SIGKILL')
      }
    }
  }, HEARTBEAT_MS)
  watchdog.unref()

  let reloading: Promise<void> | undefined
  const reload = () =>
    (reloading ??= (async () => {
      log.info({ workers: count }, 'SIGHUP: replacing every worker, one at a time')
      for (let slot = 0; slot < slots.length && !shuttingDown; slot++) await replace(slot, 'reload')
      log.info({}, 'reload finished')
    })().finally(() => (reloading = undefined)))
  process.on('SIGHUP', () => void reload())

  // The log opens when a worker first listens or dies, or after a second (a slow start should not hold
  // its lines back). One that cannot be opened stops Flyer, as it did when it was opened first.
  const openLog = () =>
    void log.open().catch(() => {
      if (shuttingDown) return
      process.exitCode = 1
      void shutdown('the log could not be opened')
    })

  const shutdown = async (why: string) => {
    shuttingDown = true
    clearInterval(watchdog)
    for (const s of slots) clearTimeout(s.timer)
    const started = Date.now()
    const all = [...tracked.values()]
    log.info({ why, workers: all.length }, 'shutting down: draining workers')
    for (const t of all) drainWorker(t)
    await Promise.all(all.map((t) => t.exited))
    log.info({ ms: Date.now() - started, restarts }, 'Flyer stopped')
    await log.close()
  }

  closeWithGrace(
    {
      // Workers are killed at graceful + 10 s; this only catches a primary that cannot finish.
      delay: (c.gracefulTimeoutSec + 15) * 1000,
      skip: ['SIGHUP'],
      logger: { error: (m: unknown) => log.error({ err: m }, 'shutdown') },
      onSecondSignal: (signal) => {
        process.stderr.write(`flyer: second ${signal}, exiting now\n`)
        for (const t of tracked.values()) kill(t, 'SIGKILL')
      },
    },
    async ({ signal, err }) => {
      if (err) log.error({ err }, 'primary failed, shutting down')
      await shutdown(signal ?? (err ? 'error' : 'exit'))
    },
  )

  // Workers' /metrics ask the primary for the sum over all workers (prom-client's AggregatorRegistry,
  // loaded at the first scrape). The wiring is set up while the workers start: none can ask before it
  // has loaded the app and listened.
  for (let slot = 0; slot < count; slot++) startSlot(slot, slot === 0 ? first : undefined)
  setTimeout(openLog, 1000).unref()
  if (c.metrics) (await import('./metrics.ts')).setupPrimaryMetrics()
}
