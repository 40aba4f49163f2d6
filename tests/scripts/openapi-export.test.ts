import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { projectCopy } from '../helpers/project-copy.ts'
import { freePort, startProcess, waitFor200 } from '../helpers/server.ts'

/** Only what a CI runner has: no flyer_* variables, no services. */
const bareEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }

describe('spec export (npm run build → dist/openapi.json)', () => {
  const copy = projectCopy()
  const started: { stop: () => Promise<unknown> }[] = []
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()))
    copy.remove()
  })

  it('writes the same document the built server serves at /flyer/v1/openapi.json, with no env and no services', { timeout: 120_000 }, async () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: copy.dir, env: bareEnv, stdio: 'pipe' })
    const exported = JSON.parse(readFileSync(join(copy.dir, 'dist/openapi.json'), 'utf8'))
    expect(exported.openapi).toBe('3.0.3')
    expect(exported.paths['/flyer/v1/demo']?.post?.summary).toBe('Say hello')

    const port = await freePort()
    const server = startProcess('node', ['dist/server.mjs'], { ...bareEnv, flyer_host: '127.0.0.1', flyer_port: String(port), flyer_workers: '1', flyer_log_file: '0', flyer_access_log: '0' }, copy.dir)
    started.push(server)
    await waitFor200(`http://127.0.0.1:${port}/flyer/v1/health_check`, 30_000, server.proc)
    const served = await (await fetch(`http://127.0.0.1:${port}/flyer/v1/openapi.json`)).json()
    expect(served).toEqual(exported)
  })
})
