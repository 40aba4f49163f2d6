import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import type { AccessRecord } from '#lib/access-line.ts'
import { loadConfig, setConfig } from '#lib/config.ts'
import { LineWriter } from '#lib/line-writer.ts'
import { accessLogger, closeLogs, flushLogs } from '#lib/logger.ts'

const dir = mkdtempSync(join(tmpdir(), 'flyer-access-logger-'))
const file = join(dir, 'access.log')
setConfig(loadConfig({ flyer_log_file: '0', flyer_access_logfile: file }))
afterAll(() => closeLogs())

const record: AccessRecord = {
  timeStamp: '2026-11-27T18:41:38.257Z',
  latency: 0.125,
  clientIp: '10.1.2.3',
  memoryUsage: 58.7,
  logId: '98ec6390-b328-4b24-ac6f-c27695fe6f61',
  Url: 'http://127.0.0.1/flyer/v1/demo',
  method: 'POST',
  status: 400,
  code: 40000,
  msg: '参数错误 "msgContent"\n',
  clientId: '',
  xForwardedFor: '',
  userAgent: 'probe/1',
  body: '{"msgContent":7}',
}

describe('accessLogger to a file', () => {
  it('writes each record as its JSON line: encoded in place, or through JSON.stringify for a field of another type', async () => {
    const odd = { ...record, msg: { set: 'by a route' } } as unknown as AccessRecord
    const inPlace = vi.spyOn(LineWriter.prototype, 'writeWith')
    const log = accessLogger()
    log.info(record)
    log.info(odd)
    log.info({ ...record, body: undefined })
    await flushLogs()
    // The two records of the access record's types took the in-place path.
    expect(inPlace).toHaveBeenCalledTimes(2)
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(record)}\n${JSON.stringify(odd)}\n${JSON.stringify({ ...record, body: undefined })}\n`)
  })
})
