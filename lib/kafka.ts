import { createRequire } from 'node:module'
import type { Admin, LogEntry, Message, Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { config, type Config } from './config.ts'
import { ErrorCode, FlyerError } from './errors.ts'
import { logger } from './logger.ts'
import { processResource } from './shutdown.ts'

// kafkajs (CommonJS) loads on the first client made, not at start-up.
let driver: typeof import('kafkajs') | undefined
const kafkajs = () => (driver ??= createRequire(import.meta.url)('kafkajs') as typeof import('kafkajs'))

export interface KafkaOptions {
  /** `host:port` list, or a function asked again on every (re)connect. */
  brokers: string[] | (() => string[] | Promise<string[]>)
  /** The default topic of `send()`. */
  topic: string
  clientId?: string
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
  /** kafkajs-level retries of one send before it fails (the outbox relay retries on top, forever). */
  retries?: number
  /** kafkajs' own lines go to `debug` when the logger has it. */
  log?: Pick<Logger, 'warn' | 'info'> & { debug?: Logger['debug'] }
}

export interface SendOptions {
  topic?: string
  /** Messages with one key go to one partition, in order (the hosts demo keys by ip). */
  key?: string
  /** The request's logId, sent as the `logId` header. */
  logId?: string
  headers?: Record<string, string>
}

/** One message of `sendBatch`: `value` is serialised as JSON. */
export interface OutgoingMessage {
  topic: string
  key?: string | null
  value: unknown
  headers?: Record<string, string>
}

export interface KafkaClient {
  /**
   * Sends one JSON message and waits for all in-sync replicas to have it.
   * @example
   * await kafka().send({ event: 'deploy.done', service: 'api' }, 'ops-events', { logId: c.get('requestId') })
   */
  send(value: unknown, topic?: string, options?: Omit<SendOptions, 'topic'>): Promise<void>
  /** Sends messages in the given order (per topic and key) in one request. */
  sendBatch(messages: readonly OutgoingMessage[]): Promise<void>
  /** A metadata round trip within `timeoutMs` (readiness). */
  ping(timeoutMs?: number): Promise<void>
  /** Waits for sends in flight (at most `timeoutMs`), then disconnects. */
  close(timeoutMs?: number): Promise<void>
  readonly topic: string
}

const noop = () => {}

const kafkaLogLevel = (log: KafkaOptions['log']) =>
  // kafkajs logs every failed reconnect as ERROR; those go to debug, Flyer logs the state changes itself.
  () =>
    ({ level, log: entry }: LogEntry) => {
      if (!log) return
      const { message, ...extra } = entry
      if (level <= kafkajs().logLevel.WARN) log.debug?.({ kafka: extra }, `kafkajs: ${message}`)
    }

/**
 * A kafkajs producer connected on first send, with short timeouts and bounded retries so a dead broker
 * fails a send in seconds with code 40002 instead of hanging.
 */
export const createKafka = ({
  brokers,
  topic,
  clientId = 'flyer',
  connectionTimeoutMs = 1000,
  requestTimeoutMs = 5000,
  retries = 2,
  log,
}: KafkaOptions): KafkaClient => {
  const { Kafka, Partitioners, logLevel } = kafkajs()
  const kafka = new Kafka({
    clientId,
    brokers,
    connectionTimeout: connectionTimeoutMs,
    requestTimeout: requestTimeoutMs,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogLevel(log),
  })
  let producer: Promise<Producer> | undefined
  let admin: Promise<Admin> | undefined
  let closed = false
  const inflight = new Set<Promise<unknown>>()

  const connected = (): Promise<Producer> =>
    (producer ??= (async () => {
      // One request in flight per broker keeps the order of retried sends.
      const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: 1, allowAutoTopicCreation: true })
      try {
        await p.connect()
        return p
      } catch (err) {
        producer = undefined
        p.disconnect().catch(noop)
        throw err
      }
    })())

  const failed = (err: unknown, what: string) =>
    new FlyerError(ErrorCode.VALIDATE_RESPONSE_CODE_ERROR, `Kafka ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })

  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) throw new FlyerError(ErrorCode.VALIDATE_RESPONSE_CODE_ERROR, 'Kafka client is closed (shutting down)')
    const p = work()
    inflight.add(p)
    try {
      return await p
    } finally {
      inflight.delete(p)
    }
  }

  const toMessage = (m: OutgoingMessage): Message => ({ key: m.key ?? null, value: JSON.stringify(m.value), headers: m.headers })

  const sendBatch = (messages: readonly OutgoingMessage[]) =>
    track(async () => {
      if (!messages.length) return
      // Consecutive runs per topic keep the caller's order inside each topic.
      const topicMessages: { topic: string; messages: Message[] }[] = []
      for (const m of messages) {
        const last = topicMessages.at(-1)
        if (last?.topic === m.topic) last.messages.push(toMessage(m))
        else topicMessages.push({ topic: m.topic, messages: [toMessage(m)] })
      }
      try {
        const p = await connected()
        await p.sendBatch({ acks: -1, topicMessages })
      } catch (err) {
        throw failed(err, `send to ${topicMessages.map((t) => t.topic).join(', ')}`)
      }
    })

  return {
    topic,
    send: (value, to = topic, { key, logId, headers } = {}) =>
      sendBatch([{ topic: to, key: key ?? null, value, headers: { ...headers, ...(logId ? { logId } : {}) } }]),
    sendBatch,
    ping: async (timeoutMs = 1000) => {
      let timer: NodeJS.Timeout | undefined
      const check = (async () => {
        const a = await (admin ??= (async () => {
          const created = kafka.admin({ retry: { retries: 0 } })
          await created.connect()
          return created
        })())
        await a.describeCluster()
      })()
      try {
        await Promise.race([
          check,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no metadata within ${timeoutMs} ms`)), timeoutMs)
          }),
        ])
      } catch (err) {
        const stale = admin
        admin = undefined
        stale?.then((a) => a.disconnect(), noop).catch(noop)
        check.catch(noop)
        throw failed(err, 'metadata request')
      } finally {
        clearTimeout(timer)
      }
    },
    close: async (timeoutMs = 5000) => {
      closed = true
      const bounded = async (work: Promise<unknown>, ms: number) => {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([work, new Promise((done) => (timer = setTimeout(done, ms)))])
        clearTimeout(timer)
      }
      await bounded(Promise.allSettled([...inflight]), timeoutMs)
      const p = producer
      const a = admin
      producer = admin = undefined
      // A connect still pending against a dead broker is disconnected when it settles, not waited for.
      await bounded(Promise.allSettled([p?.then((x) => x.disconnect()), a?.then((x) => x.disconnect())]), 1000)
    },
  }
}

/** Mapped from `flyer_kafka_*`. */
export const kafkaOptions = (k: NonNullable<Config['kafka']>): KafkaOptions => ({ brokers: k.brokers, topic: k.topic })

/** Whether `flyer_kafka_servers` is set. */
export const kafkaEnabled = (c: Config = config()): boolean => c.kafka !== undefined

/**
 * The process's Kafka producer, from `flyer_kafka_servers`/`flyer_kafka_topic`; connected on first send,
 * flushed and closed at shutdown. Throws a 503 envelope when Kafka is not configured.
 * @example
 * import { kafka } from '#lib/kafka.ts'
 * await kafka().send({ event: 'cache.flushed' }, undefined, { logId: c.get('requestId') })
 */
export const kafka: () => KafkaClient = processResource(
  'kafka',
  () => {
    const k = config().kafka
    if (!k) {
      throw new FlyerError(ErrorCode.INNER_SELF_ERROR, 'Kafka is not configured: set flyer_kafka_servers (and flyer_kafka_topic)', { status: 503, expose: true })
    }
    return createKafka({ ...kafkaOptions(k), log: logger() })
  },
  (client) => client.close(),
)

/**
 * Sends one JSON message with the process's producer (`flyer_kafka_topic` unless `topic` is given).
 * @example
 * await send({ event: 'host.rebooted', ip }, undefined, { key: ip, logId: c.get('requestId') })
 */
export const send = (value: unknown, topic?: string, options?: Omit<SendOptions, 'topic'>): Promise<void> => kafka().send(value, topic, options)
