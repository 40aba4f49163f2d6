import type { Logger } from 'pino'
import type { OutgoingMessage } from './kafka.ts'
import { isConnectionError, lockName as scopedLockName, openSession, type MysqlOptions, type Queryable, type Session } from './mysql.ts'

/** An event to publish once the surrounding transaction commits. */
export interface OutboxEvent {
  topic: string
  /** Events with one key are published in the order they were written (the hosts demo: the ip). */
  key?: string | null
  /** Serialised as JSON. */
  value: unknown
  headers?: Record<string, string>
}

/**
 * Writes an event into the `outbox` table with the caller's transaction, so the event exists if and only
 * if the change does. Each event gets an `eventId` header: the relay delivers at least once, consumers
 * drop repeats by it. Call `notifyOutbox()` after the commit for prompt delivery.
 * @example
 * await mysql().transaction(async (tx) => {
 *   await tx.execute('UPDATE hosts SET hostname = ? WHERE ip = ?', [hostname, ip])
 *   await enqueueEvent(tx, { topic: 'flyer', key: ip, value: { event: 'host.updated', ip } })
 * })
 * notifyOutbox()
 */
export const enqueueEvent = async (tx: Queryable, event: OutboxEvent): Promise<void> => {
  const headers = { eventId: crypto.randomUUID(), ...event.headers }
  await tx.execute('INSERT INTO outbox (topic, msg_key, payload, headers, created_at) VALUES (?, ?, ?, ?, ?)', [
    event.topic,
    event.key ?? null,
    JSON.stringify(event.value),
    JSON.stringify(headers),
    new Date(),
  ])
}

/** What the relay publishes with: `createKafka()` fits. */
export interface Publisher {
  sendBatch(messages: readonly OutgoingMessage[]): Promise<void>
  close(): Promise<void>
}

export interface OutboxRelayOptions {
  /** The database holding `outbox`; the relay keeps one dedicated connection to it (the lock's session). */
  db: MysqlOptions
  /** Makes a publisher; called again after a failed send, so a new broker list or connection is used. */
  publisher: () => Publisher
  log: Pick<Logger, 'info' | 'warn'>
  /** Rows per batch. */
  batchSize?: number
  /** How often an idle relay looks for new rows (`notifyOutbox()` wakes it sooner). */
  pollMs?: number
  /** How often a standby worker tries to become the relay. */
  standbyMs?: number
  /** Retry delays after failures grow from `pollMs` up to this. */
  maxBackoffMs?: number
  /** The MySQL named lock that makes one relay active across workers and pods (default: per database). */
  lockName?: string
}

export interface OutboxRelay {
  /** Looks for rows now instead of at the next poll. */
  wake(): void
  /** Stops after the batch in flight, releases the lock and closes its connections. */
  stop(): Promise<void>
  /** Whether this process holds the lock and relays. */
  readonly active: boolean
  /** Events published by this relay. */
  readonly published: number
  /** The last failure, cleared by the next success. */
  readonly lastError: string | undefined
}

interface Row {
  id: number
  topic: string
  msg_key: string | null
  payload: string
  headers: string
}

const relays = new Set<OutboxRelay>()

class PublishFailed extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause })
    this.name = 'PublishFailed'
  }
}

/** Wakes this process's relay, if it runs, after a transaction that wrote events committed. */
export const notifyOutbox = (): void => {
  for (const r of relays) r.wake()
}

/**
 * Starts the relay loop: become the one active relay (MySQL `GET_LOCK` on a dedicated session, released
 * by the server if this process dies), then publish `outbox` rows in id order and delete them once Kafka
 * acknowledged; on any failure wait and retry the same rows, forever, so nothing is lost or reordered
 * per key. Delivery is at least once (a crash between send and delete repeats a batch).
 */
export const startOutboxRelay = ({
  db,
  publisher: createPublisher,
  log,
  batchSize = 100,
  pollMs = 500,
  standbyMs = 2000,
  maxBackoffMs = 5000,
  lockName = scopedLockName('flyer_outbox_relay', db.database),
}: OutboxRelayOptions): OutboxRelay => {
  let stopping = false
  let active = false
  let published = 0
  let lastError: string | undefined
  let session: Session | undefined
  let publisher: Publisher | undefined
  let wakeUp: (() => void) | undefined
  let woken = false

  const sleep = (ms: number) =>
    new Promise<void>((done) => {
      if (stopping || woken) {
        woken = false
        return done()
      }
      const timer = setTimeout(finish, ms)
      function finish() {
        clearTimeout(timer)
        wakeUp = undefined
        woken = false
        done()
      }
      wakeUp = finish
    })

  const dropSession = async () => {
    if (active) log.warn({ lock: lockName }, 'outbox relay: lost its MySQL session; another worker may take over')
    active = false
    const s = session
    session = undefined
    await s?.close().catch(() => undefined)
  }

  const dropPublisher = async () => {
    const p = publisher
    publisher = undefined
    await p?.close().catch(() => undefined)
  }

  /** One pass: returns how long to wait before the next. */
  const pass = async (): Promise<number> => {
    if (!session?.alive) {
      await dropSession()
      session = await openSession({ ...db, queryTimeoutMs: 5000 })
    }
    if (!active) {
      const [row] = await session.query<{ got: number | null }>('SELECT GET_LOCK(?, 0) AS got', [lockName])
      if (row?.got !== 1) return standbyMs
      active = true
      log.info({ lock: lockName, pid: process.pid }, 'outbox relay: active in this process')
    }
    const rows = await session.query<Row>('SELECT id, topic, msg_key, payload, headers FROM outbox ORDER BY id LIMIT ?', [batchSize])
    if (!rows.length) return pollMs
    publisher ??= createPublisher()
    try {
      await publisher.sendBatch(rows.map((r) => ({ topic: r.topic, key: r.msg_key, value: JSON.parse(r.payload), headers: JSON.parse(r.headers) })))
    } catch (err) {
      throw new PublishFailed(err)
    }
    await session.execute(`DELETE FROM outbox WHERE id IN (${rows.map(() => '?').join(', ')})`, rows.map((r) => r.id))
    published += rows.length
    if (lastError !== undefined) log.info({ published: rows.length }, 'outbox relay: publishing again')
    lastError = undefined
    // A full batch means more may be waiting: go again at once.
    return rows.length === batchSize ? 0 : pollMs
  }

  const loop = async () => {
    let backoff = pollMs
    while (!stopping) {
      let wait: number
      try {
        wait = await pass()
        backoff = pollMs
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        if (lastError === undefined) log.warn({ err: { message } }, 'outbox relay: cannot publish yet; retrying until it can (no event is dropped)')
        lastError = message
        // A failed send gets a fresh publisher next time; a failed link a fresh session (and a new try for the lock).
        if (err instanceof PublishFailed) await dropPublisher()
        else if (!session?.alive || isConnectionError(err) || isConnectionError((err as { cause?: unknown }).cause)) await dropSession()
        wait = backoff
        backoff = Math.min(backoff * 2, maxBackoffMs)
      }
      if (wait > 0) await sleep(wait)
    }
  }

  const running = loop()
  const relay: OutboxRelay = {
    wake: () => {
      woken = true
      wakeUp?.()
    },
    stop: async () => {
      stopping = true
      relays.delete(relay)
      wakeUp?.()
      await running
      if (session?.alive && active) await session.query('SELECT RELEASE_LOCK(?) AS released', [lockName]).catch(() => undefined)
      active = false
      await Promise.allSettled([dropSession(), dropPublisher()])
    },
    get active() {
      return active
    },
    get published() {
      return published
    },
    get lastError() {
      return lastError
    },
  }
  relays.add(relay)
  return relay
}
