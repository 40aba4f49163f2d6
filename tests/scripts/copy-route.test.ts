import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { projectCopy } from '../helpers/project-copy.ts'

describe('adding an endpoint by copying the demo', () => {
  const copy = projectCopy()
  afterAll(() => copy.remove())

  it('copying routes/flyer/v1/demo.ts to x/y.ts plus `npm run routes` serves POST /flyer/v1/x/y and documents it, no edit needed', () => {
    mkdirSync(join(copy.dir, 'routes/flyer/v1/x'), { recursive: true })
    copyFileSync(join(copy.dir, 'routes/flyer/v1/demo.ts'), join(copy.dir, 'routes/flyer/v1/x/y.ts'))
    execFileSync('node_modules/.bin/tsx', ['scripts/routes.ts'], { cwd: copy.dir, stdio: 'pipe' })
    expect(readFileSync(join(copy.dir, 'routes/_router.gen.ts'), 'utf8')).toContain('"/x/y"')
    const probe = `
      import { buildApp } from './app.ts'
      const app = buildApp({ accessLog: false })
      const res = await app.request('/flyer/v1/x/y', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"msgContent":"copy"}' })
      const doc = await (await app.request('/flyer/v1/openapi.json')).json()
      console.log(JSON.stringify({ body: await res.json(), documented: Boolean(doc.paths['/flyer/v1/x/y']?.post), tag: doc.paths['/flyer/v1/x/y']?.post?.tags }))
    `
    const out = execFileSync('node_modules/.bin/tsx', ['--input-type=module', '-e', probe], { cwd: copy.dir, env: { ...process.env, flyer_log_file: '0' } }).toString()
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ body: { code: 200, msg: 'Hello copy!' }, documented: true, tag: ['x'] })
  }, 60_000)
})
