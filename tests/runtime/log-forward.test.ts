import { describe, expect, it } from 'vitest'
import { ForwardStream, isLogMessage, type LogMessage } from '#lib/log-forward.ts'

const channel = () => {
  const sent: LogMessage[] = []
  const send = (m: LogMessage, done: (err?: Error | null) => void) => {
    sent.push(m)
    setImmediate(() => done(null))
    return true
  }
  return { sent, send }
}

describe('worker log forwarding', () => {
  it('batches whole lines into one message per flush', async () => {
    const { sent, send } = channel()
    const s = new ForwardStream('access', send, { delayMs: 10_000 })
    s.write('{"a":1}\n')
    s.write('{"a":2}\n')
    expect(sent).toHaveLength(0)
    await s.flushed()
    expect(sent).toEqual([{ flyer: 'log', stream: 'access', data: '{"a":1}\n{"a":2}\n' }])
    expect(isLogMessage(sent[0])).toBe(true)
  })

  it('sends once the batch passes maxChars, never splitting a line', async () => {
    const { sent, send } = channel()
    const s = new ForwardStream('app', send, { maxChars: 10, delayMs: 10_000 })
    s.write('{"n":"12345"}\n')
    s.write('{"n":"6"}\n')
    await s.flushed()
    expect(sent.map((m) => m.data)).toEqual(['{"n":"12345"}\n', '{"n":"6"}\n'])
  })

  it('sends after delayMs without an explicit flush', async () => {
    const { sent, send } = channel()
    new ForwardStream('app', send, { delayMs: 5 }).write('x\n')
    await new Promise((r) => setTimeout(r, 50))
    expect(sent).toHaveLength(1)
  })

  it('flush waits until every batch has been handed over', async () => {
    const order: string[] = []
    const s = new ForwardStream('app', (_m, done) => {
      setTimeout(() => {
        order.push('sent')
        done(null)
      }, 20)
      return true
    })
    s.write('x\n')
    await s.flushed()
    order.push('flushed')
    expect(order).toEqual(['sent', 'flushed'])
  })
})
