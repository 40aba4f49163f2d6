import { config, ConfigError, redactedConfig } from '#lib/config.ts'
import { flushLogs, logger } from '#lib/logger.ts'
import { closeAll } from '#lib/shutdown.ts'

/**
 * The process entry: `npm start` (Node, built to dist/server.mjs), `npm run dev` (tsx watch),
 * `npm run start:bun` (Bun).
 */
const main = async () => {
  let c
  try {
    c = config()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(2)
    }
    throw err
  }
  const log = logger()
  const { buildApp } = await import('./app.ts')
  const app = buildApp()
  log.info({ config: redactedConfig(c) }, 'effective configuration')

  if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined') {
    const { serveBun } = await import('#lib/serve-bun.ts')
    await serveBun({ fetch: app.fetch, config: c })
    return
  }
  const { serveNode } = await import('#lib/serve-node.ts')
  const { default: closeWithGrace } = await import('close-with-grace')
  const { server, port } = await serveNode({ fetch: app.fetch, config: c })
  log.info({ url: `http://${c.host}:${port}${c.prefix}/docs`, pid: process.pid }, `Flyer listening on ${c.host}:${port}`)
  closeWithGrace({ delay: c.gracefulTimeoutSec * 1000, logger: { error: (m: unknown) => log.error({ err: m }, 'shutdown') } }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'fatal error, shutting down')
    else log.info({ signal }, 'shutting down')
    await new Promise<void>((done) => {
      server.close(() => done())
      server.closeIdleConnections()
    })
    await closeAll(log)
    await flushLogs()
  })
}

await main()
