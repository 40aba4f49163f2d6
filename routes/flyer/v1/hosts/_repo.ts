import { config } from '#lib/config.ts'
import { ErrorCode, FlyerError } from '#lib/errors.ts'
import { isDuplicateKey, mysql, type Param, type Queryable } from '#lib/mysql.ts'
import { enqueueEvent, notifyOutbox } from '#lib/outbox.ts'
import type { Host } from './_schemas.ts'

// Index lookups: a MySQL that does not answer in 2 s is treated as down.
const T = { timeoutMs: 2000 }

interface HostRow {
  id: number
  ip: string
  hostname: string
  tags: string
  comment: string | null
  created_at: Date
  updated_at: Date
}

const COLUMNS = 'id, ip, hostname, tags, comment, created_at, updated_at'

const toHost = (r: HostRow): Host => ({
  ip: r.ip,
  hostname: r.hostname,
  tags: JSON.parse(r.tags) as string[],
  comment: r.comment,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})

export type HostEvent = 'host.created' | 'host.updated' | 'host.deleted'

/** Writes the change's event in its transaction, when Kafka is configured (else there is nobody to tell). */
const recordEvent = async (tx: Queryable, event: HostEvent, host: Host, at: Date, logId: string) => {
  const kafka = config().kafka
  if (!kafka) return
  await enqueueEvent(tx, { topic: kafka.topic, key: host.ip, value: { event, host, at: at.toISOString(), logId }, headers: { logId } })
}

const notFound = (ip: string) => new FlyerError(ErrorCode.RESOURCE_NOT_FOUND, `No host with ip ${ip}`, { status: 404 })

const writeTags = async (tx: Queryable, hostId: number, tags: readonly string[]) => {
  for (const tag of tags) await tx.execute('INSERT INTO host_tags (host_id, tag) VALUES (?, ?)', [hostId, tag], T)
}

export interface HostFilter {
  tag?: string
  hostname?: string
}

/** One page of hosts in creation order, and how many match. `offset` is the page number (from 1). */
export const listHosts = async ({ tag, hostname }: HostFilter, offset: number, size: number): Promise<{ hosts: Host[]; total: number }> => {
  const where: string[] = []
  const params: Param[] = []
  if (tag !== undefined) {
    where.push('EXISTS (SELECT 1 FROM host_tags t WHERE t.host_id = h.id AND t.tag = ?)')
    params.push(tag)
  }
  if (hostname !== undefined) {
    where.push("h.hostname LIKE CONCAT(?, '%')")
    params.push(hostname.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`))
  }
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : ''
  const db = mysql()
  const [rows, [count]] = await Promise.all([
    db.query<HostRow>(`SELECT ${COLUMNS} FROM hosts h ${filter} ORDER BY h.id LIMIT ? OFFSET ?`, [...params, size, (offset - 1) * size], T),
    db.query<{ total: number }>(`SELECT COUNT(*) AS total FROM hosts h ${filter}`, params, T),
  ])
  return { hosts: rows.map(toHost), total: Number(count?.total ?? 0) }
}

/** The host with this (canonical) ip, or undefined. */
export const findHost = async (ip: string): Promise<Host | undefined> => {
  const [row] = await mysql().query<HostRow>(`SELECT ${COLUMNS} FROM hosts WHERE ip = ?`, [ip], T)
  return row && toHost(row)
}

export interface NewHost {
  ip: string
  hostname: string
  tags: string[]
  comment?: string | null | undefined
}

/** Inserts a host and its `host.created` event in one transaction; a taken ip is a 40009 conflict. */
export const createHost = async (input: NewHost, logId: string): Promise<Host> => {
  const now = new Date()
  try {
    const host = await mysql().transaction(async (tx) => {
      const { insertId } = await tx.execute(
        'INSERT INTO hosts (ip, hostname, tags, comment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        [input.ip, input.hostname, JSON.stringify(input.tags), input.comment ?? null, now, now],
        T,
      )
      await writeTags(tx, insertId, input.tags)
      const created: Host = { ip: input.ip, hostname: input.hostname, tags: input.tags, comment: input.comment ?? null, createdAt: now.toISOString(), updatedAt: now.toISOString() }
      await recordEvent(tx, 'host.created', created, now, logId)
      return created
    })
    notifyOutbox()
    return host
  } catch (err) {
    if (isDuplicateKey(err)) throw new FlyerError(ErrorCode.RESOURCE_CONFLICT, `A host with ip ${input.ip} already exists`, { status: 409 })
    throw err
  }
}

export interface HostChanges {
  hostname?: string | undefined
  tags?: string[] | undefined
  comment?: string | null | undefined
}

/** Updates a host and writes `host.updated` in one transaction (row locked, so events stay in order). */
export const updateHost = async (ip: string, changes: HostChanges, logId: string): Promise<Host> => {
  const now = new Date()
  const host = await mysql().transaction(async (tx) => {
    const [row] = await tx.query<HostRow>(`SELECT ${COLUMNS} FROM hosts WHERE ip = ? FOR UPDATE`, [ip], T)
    if (!row) throw notFound(ip)
    const before = toHost(row)
    const after: Host = {
      ...before,
      hostname: changes.hostname ?? before.hostname,
      tags: changes.tags ?? before.tags,
      comment: changes.comment === undefined ? before.comment : changes.comment,
      updatedAt: now.toISOString(),
    }
    await tx.execute('UPDATE hosts SET hostname = ?, tags = ?, comment = ?, updated_at = ? WHERE id = ?', [after.hostname, JSON.stringify(after.tags), after.comment, now, row.id], T)
    if (changes.tags) {
      await tx.execute('DELETE FROM host_tags WHERE host_id = ?', [row.id], T)
      await writeTags(tx, row.id, after.tags)
    }
    await recordEvent(tx, 'host.updated', after, now, logId)
    return after
  })
  notifyOutbox()
  return host
}

/** Deletes a host and writes `host.deleted` (with its last state) in one transaction. */
export const deleteHost = async (ip: string, logId: string): Promise<Host> => {
  const now = new Date()
  const host = await mysql().transaction(async (tx) => {
    const [row] = await tx.query<HostRow>(`SELECT ${COLUMNS} FROM hosts WHERE ip = ? FOR UPDATE`, [ip], T)
    if (!row) throw notFound(ip)
    await tx.execute('DELETE FROM hosts WHERE id = ?', [row.id], T)
    const gone = toHost(row)
    await recordEvent(tx, 'host.deleted', gone, now, logId)
    return gone
  })
  notifyOutbox()
  return host
}
