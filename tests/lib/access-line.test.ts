import { describe, expect, it } from 'vitest'
import { type AccessRecord, accessLineBound, writeAccessLine } from '#lib/access-line.ts'

/** A small seeded generator, so a failure names a case that comes back. */
const random = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
  return seed / 2_147_483_648
}

// Every kind of character JSON.stringify treats differently: plain ASCII, the two it escapes with a
// backslash, control characters (short and \u00XX escapes), DEL, two- three- and four-byte UTF-8, the
// line separators JavaScript allows in strings, and lone surrogates (escaped as \udXXX).
const CHARS = ['a', 'Z', '0', ' ', '~', '/', '<', '"', '\\', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u0001', '\u001f', '\u007f', '\u0080', 'é', '\u00ff', '\u07ff', '中', '\u2028', '\uffff', '😀', '\ud800', '\udbff', '\udc00', '\udfff']
const NUMBERS = [0, -0, 1, 7, 200, 404, 50000, 0.001, 0.015, 0.1, 1.5, 96.4, 123456.789, 999_999_999.999, 1e9, 1e15, 2 ** 53, -1, -0.5, 0.1 + 0.2, 5e-7, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_VALUE, Number.MIN_VALUE]

const line = (r: AccessRecord) => {
  const bound = accessLineBound(r)
  expect(bound).toBeDefined()
  const buf = Buffer.alloc(bound!)
  const end = writeAccessLine(buf, 0, r)
  return buf.subarray(0, end)
}

const record = (next: () => number): AccessRecord => {
  const text = () => Array.from({ length: Math.floor(next() * 14) }, () => CHARS[Math.floor(next() * CHARS.length)]).join('')
  const num = () => (next() < 0.5 ? NUMBERS[Math.floor(next() * NUMBERS.length)]! : Math.round(next() * 10 ** (1 + Math.floor(next() * 9))) / 1000)
  return {
    timeStamp: text(),
    latency: num(),
    clientIp: text(),
    memoryUsage: num(),
    logId: text(),
    Url: text(),
    method: text(),
    status: num(),
    code: num(),
    msg: text(),
    clientId: text(),
    xForwardedFor: text(),
    userAgent: text(),
    body: next() < 0.3 ? undefined : text(),
  }
}

describe('writeAccessLine (the access log line, encoded in place)', () => {
  it('writes the bytes of JSON.stringify(record) and a newline, within its bound, for every kind of character and number', () => {
    const next = random(20261127)
    for (let i = 0; i < 20_000; i++) {
      const r = record(next)
      const got = line(r)
      const want = Buffer.from(`${JSON.stringify(r)}\n`)
      if (!got.equals(want)) expect({ case: i, got: got.toString() }).toEqual({ case: i, got: want.toString() })
      expect(got.length).toBeLessThanOrEqual(accessLineBound(r)!)
    }
  })

  it('writes a typical line as JSON.stringify does, after what is already in the buffer', () => {
    const r: AccessRecord = {
      timeStamp: '2026-11-27T18:41:38.257Z',
      latency: 0.004,
      clientIp: '10.1.2.3',
      memoryUsage: 61.2,
      logId: '98ec6390-b328-4b24-ac6f-c27695fe6f61',
      Url: 'http://127.0.0.1/flyer/v1/demo?name=%E4%B8%AD',
      method: 'POST',
      status: 200,
      code: 40000,
      msg: '参数错误: body.msgContent',
      clientId: 'cmdb',
      xForwardedFor: '10.1.2.3, 10.0.0.1',
      userAgent: 'curl/8.0',
      body: '{"msgContent":7,"password":"[REDACTED]"}',
    }
    const buf = Buffer.alloc(4096)
    buf.write('previous line\n')
    const end = writeAccessLine(buf, 14, r)
    expect(buf.subarray(0, end).toString()).toBe(`previous line\n${JSON.stringify(r)}\n`)
  })

  it('has no bound for a record with a field of another type, which only JSON.stringify writes exactly', () => {
    const base = record(random(1))
    expect(accessLineBound(base)).toBeGreaterThan(0)
    expect(accessLineBound({ ...base, msg: { reason: 'x' } as unknown as string })).toBeUndefined()
    expect(accessLineBound({ ...base, code: '40000' as unknown as number })).toBeUndefined()
    expect(accessLineBound({ ...base, body: 7 as unknown as string })).toBeUndefined()
  })
})
