import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LineWriter } from '#lib/line-writer.ts'

const closed = (w: LineWriter) => new Promise<void>((done) => w.once('close', () => done()))
const flushed = (w: LineWriter) => new Promise<void>((done) => w.flush(done))

describe('LineWriter (the access log file)', () => {
  it('writes every line whole and in order: multibyte text, lines longer than a buffer, buffers filled many times', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flyer-lines-')), 'a', 'access.log')
    const w = new LineWriter(file, 1024, 10_000)
    const lines: string[] = []
    for (let i = 0; i < 3000; i++) {
      const line = i % 500 === 7 ? `${i} ${'长'.repeat(2000)} 🚀\n` : `${i} {"msg":"héllo ${'x'.repeat(i % 90)}"}\n`
      lines.push(line)
      w.write(line)
    }
    await flushed(w)
    expect(readFileSync(file, 'utf8')).toBe(lines.join(''))
    w.write('after flush\n')
    const done = closed(w)
    w.end()
    await done
    expect(readFileSync(file, 'utf8')).toBe(`${lines.join('')}after flush\n`)
    expect(w.write('too late\n')).toBe(false)
  })

  it('keeps lines encoded in place (writeWith) in order with string lines, across many batches and lines larger than one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flyer-lines-')), 'access.log')
    const w = new LineWriter(file, 512, 10_000)
    const encode = (buf: Buffer, off: number, text: string) => off + buf.write(text, off)
    const lines: string[] = []
    for (let i = 0; i < 5000; i++) {
      const line = i % 1000 === 3 ? `${i} ${'é'.repeat(20_000)}\n` : `${i} ${i % 2 ? 'encoded' : 'string'} ${'y'.repeat(i % 300)}\n`
      lines.push(line)
      if (i % 2) w.writeWith(Buffer.byteLength(line), encode, line)
      else w.write(line)
      // Let some writes finish between lines, so batch buffers are reused while others fill.
      if (i % 97 === 0) await new Promise((r) => setImmediate(r))
    }
    const done = closed(w)
    w.end()
    await done
    expect(readFileSync(file, 'utf8')).toBe(lines.join(''))
    expect(w.writeWith(10, encode, 'too late\n')).toBe(false)
  })

  it('finishes the writes in flight and the queued lines when ended mid-write', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flyer-lines-')), 'access.log')
    const w = new LineWriter(file, 256, 10_000)
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}\n`)
    for (const l of lines) w.write(l)
    const done = closed(w)
    w.end()
    await done
    expect(readFileSync(file, 'utf8')).toBe(lines.join(''))
  })

  it('writes on its timer without a flush', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flyer-lines-')), 'access.log')
    const w = new LineWriter(file, 64 * 1024, 20)
    w.write('by the timer\n')
    await new Promise((r) => setTimeout(r, 200))
    expect(readFileSync(file, 'utf8')).toBe('by the timer\n')
    w.end()
  })

  it('never splits a line when two writers append to the same file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flyer-lines-')), 'shared.log')
    const a = new LineWriter(file, 512, 10_000)
    const b = new LineWriter(file, 700, 10_000)
    for (let i = 0; i < 2000; i++) {
      a.write(`a-${i}-${'a'.repeat(i % 50)}\n`)
      b.write(`b-${i}-${'b'.repeat(i % 70)}\n`)
    }
    await Promise.all([flushed(a), flushed(b)])
    const got = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(got).toHaveLength(4000)
    for (const line of got) expect(line).toMatch(/^(a-\d+-a*|b-\d+-b*)$/)
    expect(got.filter((l) => l.startsWith('a-')).map((l) => Number(l.split('-')[1]))).toEqual(Array.from({ length: 2000 }, (_, i) => i))
    a.end()
    b.end()
  })
})
