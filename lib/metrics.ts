import cluster, { type Worker } from 'node:cluster'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import type { Aggregator, Registry } from 'prom-client'

/**
 * prom-client, loaded on first use: with its dependencies it is ~90 CommonJS modules, ~50 ms and ~10 MB
 * of every worker's start (measured), and a worker needs it only when it is first scraped.
 */
let promClient: typeof import('prom-client') | undefined
const prom = () => (promClient ??= createRequire(import.meta.url)('prom-client') as typeof import('prom-client'))

/** What `/metrics` answers with (prom-client's Prometheus text format). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Latency buckets in seconds: 5 ms … 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Anything else a client sends as a method is counted as `OTHER`, so junk methods cannot grow the series. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

interface Series {
  labels: { method: string; route: string; status: string; code: string }
  count: number
  sum: number
  /** Per-bucket counts (not cumulative); the last slot is +Inf. */
  buckets: Float64Array
}

/** The shape prom-client's registry reads from a metric (`get()`); also what workers send the primary. */
interface MetricJson {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram'
  aggregator: Aggregator
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[]
}

/** A registry entry backed by `get()`. prom-client's types only name its own classes; its registry only calls get()/reset(). */
const asMetric = (get: () => MetricJson, reset: () => void = () => {}) => {
  const m = get()
  return { name: m.name, help: m.help, type: m.type, aggregator: m.aggregator, get: async () => get(), reset } as never
}

/**
 * Request count, latency histogram and in-flight gauge. A request costs a few Map lookups and number
 * increments; label objects and Prometheus series are only built when scraped.
 */
export class HttpMetrics {
  inFlight = 0
  readonly #byRoute = new Map<string, Map<string, Map<number, Map<number, Series>>>>()
  readonly #series: Series[] = []

  constructor(readonly buckets: readonly number[] = DEFAULT_BUCKETS) {}

  /** Counts one finished request. `route` must be a pattern (`/hosts/{ip}`), never the raw path. */
  observe(method: string, route: string, status: number, code: number, seconds: number): void {
    if (!METHODS.has(method)) method = 'OTHER'
    let byMethod = this.#byRoute.get(route)
    if (!byMethod) this.#byRoute.set(route, (byMethod = new Map()))
    let byStatus = byMethod.get(method)
    if (!byStatus) byMethod.set(method, (byStatus = new Map()))
    let byCode = byStatus.get(status)
    if (!byCode) byStatus.set(status, (byCode = new Map()))
    let s = byCode.get(code)
    if (!s) {
      s = { labels: { method, route, status: String(status), code: String(code) }, count: 0, sum: 0, buckets: new Float64Array(this.buckets.length + 1) }
      byCode.set(code, s)
      this.#series.push(s)
    }
    s.count++
    s.sum += seconds
    let i = 0
    while (i < this.buckets.length && seconds > this.buckets[i]!) i++
    s.buckets[i]!++
  }

  reset(): void {
    this.#byRoute.clear()
    this.#series.length = 0
  }

  /** The three metrics as prom-client registry entries. */
  collectors(): never[] {
    const requests = (): MetricJson => ({
      name: 'flyer_http_requests_total',
      help: 'HTTP requests by method, route pattern, status and envelope code',
      type: 'counter',
      aggregator: 'sum',
      values: this.#series.map((s) => ({ labels: s.labels, value: s.count })),
    })
    const duration = (): MetricJson => {
      const name = 'flyer_http_request_duration_seconds'
      const values: MetricJson['values'] = []
      for (const s of this.#series) {
        let acc = 0
        this.buckets.forEach((le, i) => {
          acc += s.buckets[i]!
          values.push({ labels: { ...s.labels, le }, value: acc, metricName: `${name}_bucket` })
        })
        values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${name}_bucket` })
        values.push({ labels: s.labels, value: s.sum, metricName: `${name}_sum` })
        values.push({ labels: s.labels, value: s.count, metricName: `${name}_count` })
      }
      return { name, help: 'HTTP request latency in seconds, until the response headers are ready', type: 'histogram', aggregator: 'sum', values }
    }
    const inFlight = (): MetricJson => ({
      name: 'flyer_http_requests_in_flight',
      help: 'HTTP requests being handled now',
      type: 'gauge',
      aggregator: 'sum',
      values: [{ labels: {}, value: this.inFlight }],
    })
    const reset = () => this.reset()
    return [asMetric(requests, reset), asMetric(duration, reset), asMetric(inFlight)]
  }
}

export interface GaugeOptions {
  /** How workers' values combine: `sum` (default; per-worker pools), `max`/`first` for one shared value such as a table's backlog. */
  aggregator?: Aggregator
  /** Label names when `collect` returns labelled values. */
  labelNames?: string[]
  /** A collector slower than this keeps its previous value for this scrape. */
  timeoutMs?: number
}

/** What a gauge's collect function returns: one number, or values per label set. */
export type GaugeValue = number | { labels: Record<string, string>; value: number }[]

export interface Metrics {
  readonly registry: Registry
  readonly http: HttpMetrics
  readonly contentType: string
  /** The Prometheus text `/metrics` answers: this registry, or in a cluster worker the aggregate of all workers. */
  scrape(): Promise<string>
  registerGauge(name: string, help: string, collect: () => GaugeValue | Promise<GaugeValue>, options?: GaugeOptions): () => void
}

export interface MetricsOptions {
  /** prom-client's process and event-loop metrics (`process_*`, `nodejs_*`) plus event-loop utilisation. */
  defaultMetrics?: boolean
  buckets?: readonly number[]
  /** Replaces how `scrape()` produces the text (the cluster worker asks the primary). */
  scrape?: (registry: Registry) => Promise<string>
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> => {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([p, new Promise<typeof TIMED_OUT>((ok) => (timer = setTimeout(ok, ms, TIMED_OUT)))]).finally(() => clearTimeout(timer))
}
const TIMED_OUT = Symbol('timed out')

const eventLoopUtilization = (registry: Registry) => {
  let last = performance.eventLoopUtilization()
  new (prom().Gauge)({
    name: 'flyer_eventloop_utilization_ratio',
    help: 'Share of time the event loop was busy since the previous scrape (0-1)',
    registers: [registry],
    aggregator: 'average',
    collect() {
      const now = performance.eventLoopUtilization()
      this.set(performance.eventLoopUtilization(now, last).utilization)
      last = now
    },
  })
}

/**
 * A metrics registry with the HTTP metrics (and by default process and event-loop metrics). The app
 * uses `processMetrics()`; tests make their own.
 * @example
 * const m = createMetrics({ defaultMetrics: false })
 * const app = buildApp({ metrics: m })
 */
export const createMetrics = ({ defaultMetrics = true, buckets = DEFAULT_BUCKETS, scrape = (r) => r.metrics() }: MetricsOptions = {}): Metrics => {
  const http = new HttpMetrics(buckets)
  let registry: Registry | undefined
  /** Gauges registered before the registry exists, added when it is made. */
  const pending = new Map<string, (r: Registry) => void>()
  // Made (and prom-client loaded) on first use: the first scrape, or the primary collecting. Process and
  // event-loop metrics count from then; request metrics are plain counters kept from the start.
  const getRegistry = (): Registry => {
    if (!registry) {
      const { Registry, collectDefaultMetrics } = prom()
      registry = new Registry()
      for (const m of http.collectors()) registry.registerMetric(m)
      if (defaultMetrics) {
        collectDefaultMetrics({ register: registry })
        eventLoopUtilization(registry)
      }
      for (const add of pending.values()) add(registry)
      pending.clear()
    }
    return registry
  }
  return {
    get registry() {
      return getRegistry()
    },
    http,
    contentType: METRICS_CONTENT_TYPE,
    scrape: () => scrape(getRegistry()),
    registerGauge(name, help, collect, { aggregator = 'sum', labelNames = [], timeoutMs = 1000 } = {}) {
      let gauge: unknown
      const add = (r: Registry) => {
        r.removeSingleMetric(name)
        gauge = new (prom().Gauge)({
          name,
          help,
          labelNames,
          aggregator,
          registers: [r],
          async collect() {
            try {
              const v = await withTimeout(Promise.resolve(collect()), timeoutMs)
              if (v === TIMED_OUT) return
              if (typeof v === 'number') this.set(v)
              else {
                this.reset()
                for (const { labels, value } of v) this.set(labels, value)
              }
            } catch {
              // A broken collector must not fail the whole scrape; the gauge keeps its last value.
            }
          },
        })
      }
      if (registry) add(registry)
      else pending.set(name, add)
      return () => {
        if (pending.get(name) === add) pending.delete(name)
        else if (registry && gauge !== undefined && registry.getSingleMetric(name) === gauge) registry.removeSingleMetric(name)
      }
    },
  }
}

// ---- node:cluster: workers' numbers are aggregated in the primary -------------------------------------

const KEY = 'flyerMetrics'
type Msg =
  | { [KEY]: 'ready' | 'ping' }
  | { [KEY]: 'collect'; id: number }
  | { [KEY]: 'collected'; id: number; metrics?: object[]; error?: string }
  | { [KEY]: 'scrape'; id: number }
  | { [KEY]: 'scraped'; id: number; text?: string; error?: string }

const isMsg = (m: unknown): m is Msg => typeof m === 'object' && m !== null && KEY in m

/** Worker side: answer the primary's collect requests; `/metrics` asks the primary for the aggregate. */
const wireWorker = (getRegistry: () => Registry, timeoutMs: number) => {
  const send = (m: Msg) => process.send?.(m)
  const waiting = new Map<number, (m: Extract<Msg, { [KEY]: 'scraped' }>) => void>()
  let seq = 0
  process.on('message', (m: unknown) => {
    if (!isMsg(m)) return
    if (m[KEY] === 'ping') send({ [KEY]: 'ready' })
    else if (m[KEY] === 'collect') {
      const { id } = m
      getRegistry()
        .getMetricsAsJSON()
        .then(
          (metrics) => send({ [KEY]: 'collected', id, metrics }),
          (err: Error) => send({ [KEY]: 'collected', id, error: err.message }),
        )
    } else if (m[KEY] === 'scraped') waiting.get(m.id)?.(m)
  })
  // No unref(): a cluster worker's IPC channel is referenced anyway and carries listen() and disconnect.
  send({ [KEY]: 'ready' })
  return (): Promise<string> =>
    new Promise((ok, fail) => {
      const id = ++seq
      const timer = setTimeout(() => {
        waiting.delete(id)
        fail(new Error(`the cluster primary did not answer within ${timeoutMs} ms (does it call setupPrimaryMetrics()?)`))
      }, timeoutMs)
      waiting.set(id, (m) => {
        clearTimeout(timer)
        waiting.delete(id)
        if (m.error !== undefined || m.text === undefined) fail(new Error(m.error ?? 'no metrics'))
        else ok(m.text)
      })
      send({ [KEY]: 'scrape', id })
    })
}

let current: Metrics | undefined
/** Set by setupPrimaryMetrics: the primary's own registry then holds only what is registered there. */
let inPrimary = false

/**
 * This process's metrics, created on first use. In a node:cluster worker, `/metrics` answers the
 * aggregate of every worker, which the primary assembles (see `setupPrimaryMetrics`).
 */
export const processMetrics = (): Metrics => {
  if (current) return current
  if (cluster.isWorker) {
    const ask = wireWorker(() => current!.registry, 5000)
    current = createMetrics({ scrape: ask })
  } else {
    // An idle cluster primary would drag the averaged event-loop numbers down and add its own heap; leave it out.
    current = createMetrics({ defaultMetrics: !inPrimary })
  }
  return current
}

/**
 * Registers a gauge read at scrape time, for clients' own numbers (pool connections in use, outbox
 * backlog). Registering the same name again replaces it; the returned function removes it.
 * @example
 * registerGauge('flyer_db_pool_in_use', 'MySQL connections in use', () => pool.inUse)
 * registerGauge('flyer_outbox_backlog', 'Outbox rows not yet sent', () => lastBacklog, { aggregator: 'max' })
 */
export const registerGauge = (name: string, help: string, collect: () => GaugeValue | Promise<GaugeValue>, options?: GaugeOptions): (() => void) =>
  processMetrics().registerGauge(name, help, collect, options)

export interface PrimaryMetrics {
  /** The aggregate of every ready worker plus what was registered in the primary itself, as Prometheus text. */
  aggregate(): Promise<string>
  close(): void
}

let primary: PrimaryMetrics | undefined

/**
 * Call once in the node:cluster primary, before or after forking: it answers workers' `/metrics` with
 * the sum (or max/average, per metric) over all workers, using prom-client's AggregatorRegistry. A
 * worker that does not answer within `timeoutMs` is left out and counted in `flyer_metrics_workers{state="missing"}`.
 * @example
 * if (cluster.isPrimary) { setupPrimaryMetrics(); for (let i = 0; i < n; i++) cluster.fork() }
 */
export const setupPrimaryMetrics = ({ timeoutMs = 2000 }: { timeoutMs?: number } = {}): PrimaryMetrics => {
  if (primary) return primary
  inPrimary = true
  const ready = new Set<Worker>()
  const collecting = new Map<number, { got: object[][]; left: number; done: () => void }>()
  let seq = 0
  // The primary's own registry (and prom-client) are made at the first scrape.
  const own = () => processMetrics().registry

  const aggregate = async (): Promise<string> => {
    const id = ++seq
    const asked = [...ready].filter((w) => w.isConnected())
    const got: object[][] = []
    await new Promise<void>((done) => {
      const timer = setTimeout(finish, timeoutMs)
      function finish() {
        clearTimeout(timer)
        collecting.delete(id)
        done()
      }
      collecting.set(id, { got, left: asked.length, done: finish })
      for (const w of asked) w.send({ [KEY]: 'collect', id } satisfies Msg)
      if (!asked.length) finish()
    })
    const workers: MetricJson = {
      name: 'flyer_metrics_workers',
      help: 'Workers whose numbers are in this scrape (reporting) or did not answer in time (missing)',
      type: 'gauge',
      aggregator: 'first',
      values: [
        { labels: { state: 'reporting' }, value: got.length },
        { labels: { state: 'missing' }, value: asked.length - got.length },
      ],
    }
    return prom().AggregatorRegistry.aggregate([...got, await own().getMetricsAsJSON(), [workers]]).metrics()
  }

  const onMessage = (worker: Worker, m: unknown) => {
    if (!isMsg(m)) return
    if (m[KEY] === 'ready') ready.add(worker)
    else if (m[KEY] === 'collected') {
      const c = collecting.get(m.id)
      if (!c) return
      if (m.metrics) c.got.push(m.metrics)
      if (--c.left === 0) c.done()
    } else if (m[KEY] === 'scrape') {
      const { id } = m
      aggregate().then(
        (text) => worker.isConnected() && worker.send({ [KEY]: 'scraped', id, text } satisfies Msg),
        (err: Error) => worker.isConnected() && worker.send({ [KEY]: 'scraped', id, error: err.message } satisfies Msg),
      )
    }
  }
  const onExit = (worker: Worker) => ready.delete(worker)
  cluster.on('message', onMessage)
  cluster.on('exit', onExit)
  // Workers forked before this call announced themselves to nobody: ask again.
  for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send({ [KEY]: 'ping' } satisfies Msg)

  primary = {
    aggregate,
    close() {
      cluster.off('message', onMessage)
      cluster.off('exit', onExit)
      primary = undefined
    },
  }
  return primary
}
