import { afterEach, describe, expect, it, vi } from 'vitest'
import { type LogWriters, primaryLog } from '#lib/primary-log.ts'

/** Writers that record what reaches them, in order. */
const recording = () => {
  const written: string[] = []
  const writers: LogWriters = {
    line: (level, fields, msg) => void written.push(`${level} ${msg} ${JSON.stringify(fields)}`),
    forwarded: (stream, data) => void written.push(`${stream} ${data}`),
    close: vi.fn(async () => void written.push('closed')),
  }
  return { written, writers }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('primaryLog: the primary log, opened once a worker needs the CPU less', () => {
  it('holds lines until it is opened, then writes them in the order they came, own and forwarded alike', async () => {
    const { written, writers } = recording()
    const load = vi.fn(async () => writers)
    const log = primaryLog(load)
    log.info({ workers: 2 }, 'primary starting')
    log.forwarded('app', '{"msg":"worker line"}\n')
    log.warn({ slot: 1 }, 'slow')
    expect(load).not.toHaveBeenCalled()
    expect(written).toEqual([])
    await log.open()
    expect(written).toEqual(['info primary starting {"workers":2}', 'app {"msg":"worker line"}\n', 'warn slow {"slot":1}'])
    // Once open, lines go straight through; opening again loads nothing more.
    log.error({ code: 1 }, 'died')
    log.forwarded('access', 'a\n')
    await log.open()
    expect(load).toHaveBeenCalledTimes(1)
    expect(written.slice(3)).toEqual(['error died {"code":1}', 'access a\n'])
  })

  it('a line logged while the writers load waits behind the held ones', async () => {
    const { written, writers } = recording()
    let loaded!: (w: LogWriters) => void
    const log = primaryLog(() => new Promise((r) => (loaded = r)))
    log.info({}, 'first')
    const opening = log.open()
    log.info({}, 'second')
    loaded(writers)
    await opening
    log.info({}, 'third')
    expect(written).toEqual(['info first {}', 'info second {}', 'info third {}'])
  })

  it('close opens the writers if no one has, writes what waited, then closes them', async () => {
    const { written, writers } = recording()
    const log = primaryLog(async () => writers)
    log.info({}, 'stopped')
    await log.close()
    expect(written).toEqual(['info stopped {}', 'closed'])
  })

  it('writers that cannot be opened: the error and every line, held or later, go to stderr as JSON', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const log = primaryLog(async () => {
      throw new Error('EACCES: permission denied, open logs/flyer.log')
    })
    log.info({ workers: 1 }, 'primary starting')
    log.forwarded('app', '{"msg":"from a worker"}\n')
    await expect(log.open()).rejects.toThrow('EACCES')
    log.error({ err: new Error('boom') }, 'worker died')
    await log.close()
    const out = err.mock.calls.map(([chunk]) => String(chunk))
    expect(out).toHaveLength(4)
    const failure = JSON.parse(out[0]!)
    expect(failure).toMatchObject({ level: 'error', msg: 'the log could not be opened: writing it to stderr', pid: process.pid })
    expect(failure.err.message).toContain('EACCES')
    expect(JSON.parse(out[1]!)).toMatchObject({ level: 'info', workers: 1, msg: 'primary starting' })
    expect(out[2]).toBe('{"msg":"from a worker"}\n')
    // An Error keeps its message and stack (JSON.stringify alone would give {}).
    expect(JSON.parse(out[3]!).err).toMatchObject({ type: 'Error', message: 'boom' })
    expect(JSON.parse(out[3]!).err.stack).toContain('boom')
  })
})
