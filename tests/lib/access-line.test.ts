import { describe, expect, it } from 'vitest'
import { accessLine } from '#lib/logger.ts'

// accessLine is a faster JSON.stringify for flat access-log records: it must give the very same bytes.
describe('accessLine (the access log’s JSON line)', () => {
  const tricky = [
    '',
    'plain',
    'say "hi"',
    'back\\slash',
    'line\nbreak\ttab\r',
    '\u0000\u001f control',
    'ünïcödé 中文',
    'emoji 🚀',
    'lone \ud800 surrogate',
    'lone \udfff low',
    '\u2028\u2029 separators',
    '</script>',
  ]

  it.each(tricky)('writes the string %j as JSON.stringify does', (value) => {
    const record = { timeStamp: '2026-11-26T18:00:00.000Z', msg: value, userAgent: value }
    expect(accessLine(record)).toBe(JSON.stringify(record))
    expect(JSON.parse(accessLine(record))).toEqual(JSON.parse(JSON.stringify(record)))
  })

  it('writes numbers, skips undefined and hands objects, arrays, null and booleans to JSON.stringify', () => {
    const record = {
      latency: 0.412,
      status: 200,
      negative: -3e-7,
      big: 1e21,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      missing: undefined,
      fn: () => 1,
      nothing: null,
      yes: true,
      body: { password: '[REDACTED]', nested: [1, 'two', { three: 3 }], at: new Date(0) },
      'odd "key"': 'v',
      last: undefined,
    }
    expect(accessLine(record)).toBe(JSON.stringify(record))
  })

  it('writes an empty record, or one whose only field is undefined, as {}', () => {
    expect(accessLine({})).toBe('{}')
    expect(accessLine({ body: undefined })).toBe('{}')
  })
})
