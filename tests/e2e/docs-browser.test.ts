import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testApp } from '../helpers/app.ts'
import { type ServedNode, serveOnNode } from '../helpers/node-server.ts'

const CHROMIUM = '/usr/bin/chromium'
const required = process.env.FLYER_REQUIRE_SERVICES === '1'
const canRun = existsSync(CHROMIUM)
if (required && !canRun) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (required under CI)`)

describe.skipIf(!canRun)(`docs pages in headless Chromium${canRun ? '' : ' (skipped: /usr/bin/chromium not installed)'}`, () => {
  let served: ServedNode | undefined
  let base: string
  let browser: import('playwright-core').Browser
  const outside: string[] = []

  beforeAll(async () => {
    const { app } = testApp()
    served = await serveOnNode(app.fetch)
    base = `http://127.0.0.1:${served.port}`
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  const page = async () => {
    const context = await browser.newContext()
    // Offline proof: any request that does not go to this server is recorded and refused.
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(base) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue()
      outside.push(url)
      return route.abort()
    })
    return context.newPage()
  }

  it('Swagger UI renders the API and "Try it out" calls the demo', async () => {
    const p = await page()
    await p.goto(`${base}/flyer/v1/docs`)
    const op = p.locator('#operations-demo-post_flyer_v1_demo')
    await op.locator('.opblock-summary').click()
    await op.getByRole('button', { name: 'Try it out' }).click()
    await op.locator('textarea.body-param__text').fill('{"msgContent":"Browser"}')
    await op.getByRole('button', { name: 'Execute' }).click()
    const body = op.locator('.live-responses-table .response-col_description pre').first()
    await expect.poll(async () => body.textContent(), { timeout: 15_000 }).toContain('Hello Browser!')
    await p.context().close()
  }, 60_000)

  it('ReDoc renders the API', async () => {
    const p = await page()
    await p.goto(`${base}/flyer/v1/redoc`)
    await expect.poll(async () => p.locator('h1').first().textContent(), { timeout: 20_000 }).toContain('Flyer API')
    await expect.poll(async () => p.getByText('Say hello').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    await p.context().close()
  }, 60_000)

  it('asked nothing of the internet', () => {
    expect(outside).toEqual([])
  })
})
