import { copyFileSync, renameSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectCopy } from '../helpers/project-copy.ts'
import { freePort, startProcess, waitFor200 } from '../helpers/server.ts'

/** Polls until `url` answers `status` (a changed route takes a regeneration and a restart). */
const waitForStatus = async (url: string, status: number, timeoutMs = 20_000) => {
  const end = Date.now() + timeoutMs
  let last = 0
  while (Date.now() < end) {
    try {
      last = (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"msgContent":"w"}' })).status
      if (last === status) return
    } catch {
      // restarting
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${url} still answers ${last}, not ${status}, after ${timeoutMs} ms`)
}

describe('npm run dev', () => {
  const copy = projectCopy()
  let dev: ReturnType<typeof startProcess>
  let base: string

  beforeAll(async () => {
    const port = await freePort()
    base = `http://127.0.0.1:${port}/flyer/v1`
    dev = startProcess('npm', ['run', 'dev', '--silent'], { flyer_port: String(port), flyer_host: '127.0.0.1', flyer_log_file: '0' }, copy.dir)
    await waitFor200(`${base}/health_check`, 60_000, dev.proc)
  }, 90_000)

  afterAll(async () => {
    await dev?.stop()
    copy.remove()
  })

  it('serves a route file added, renamed and deleted while it runs, with no restart by hand', async () => {
    const routes = join(copy.dir, 'routes/flyer/v1')
    copyFileSync(join(routes, 'demo.ts'), join(routes, 'added.ts'))
    await waitForStatus(`${base}/added`, 200)
    renameSync(join(routes, 'added.ts'), join(routes, 'renamed.ts'))
    await waitForStatus(`${base}/renamed`, 200)
    await waitForStatus(`${base}/added`, 404)
    unlinkSync(join(routes, 'renamed.ts'))
    await waitForStatus(`${base}/renamed`, 404)
    expect(dev.proc.exitCode).toBeNull()
  }, 90_000)
})
