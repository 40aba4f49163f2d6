import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testApp } from '../helpers/app.ts'

// Issue 6, case 12: nothing outside static/ is ever served.
describe('static files under attack', () => {
  const root = mkdtempSync(join(tmpdir(), 'flyer-static-'))
  const outside = mkdtempSync(join(tmpdir(), 'flyer-outside-'))
  writeFileSync(join(outside, 'secret.txt'), 'TOP-SECRET')
  mkdirSync(join(root, 'sub'))
  writeFileSync(join(root, 'sub', 'ok.txt'), 'fine')
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'))
  symlinkSync(outside, join(root, 'linkdir'))
  symlinkSync(join(root, 'sub', 'ok.txt'), join(root, 'inside-link.txt'))

  it('serves a file and a symlink that stays inside', async () => {
    const { app } = testApp({}, { staticRoot: root })
    expect(await (await app.request('/flyer/static/sub/ok.txt')).text()).toBe('fine')
    expect(await (await app.request('/flyer/static/inside-link.txt')).text()).toBe('fine')
  })

  it.each([
    '/flyer/static/link.txt',
    '/flyer/static/linkdir/secret.txt',
    '/flyer/static/sub/../../' + outside.split('/').pop() + '/secret.txt',
    '/flyer/static/%2e%2e/' + outside.split('/').pop() + '/secret.txt',
    '/flyer/static/sub/%2E%2E%2F%2E%2E%2Fetc/passwd',
    '/flyer/static/' + encodeURIComponent(join(outside, 'secret.txt')),
    '/flyer/static//etc/passwd',
    '/flyer/static/sub%00.txt',
    '/flyer/static/sub',
  ])('answers 404 for %s', async (path) => {
    const { app } = testApp({}, { staticRoot: root })
    const res = await app.request(`http://localhost${path}`)
    expect(res.status).toBe(404)
    expect(await res.text()).not.toMatch(/TOP-SECRET|root:/)
  })
})
