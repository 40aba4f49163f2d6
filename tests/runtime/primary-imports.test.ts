import type { Metafile } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildEntry } from './helpers/build.ts'

// The production bundle of server.ts (as `npm run build` splits it), read from esbuild's metafile: which
// source files and packages each process can load. The primary runs server.mjs and the primary chunk;
// a worker runs the worker chunk and the app chunk it imports.
let meta: Metafile
let dir = ''

beforeAll(async () => {
  ;({ metafile: meta, dir } = await buildEntry('server.ts', 'imports'))
})

/**
 * Outputs loaded from `start` following static imports, plus dynamic imports of the outputs `follow`
 * accepts and, past those, every dynamic import (whatever that code may load later) — or, with `only`,
 * still only those `follow` accepts.
 */
const loaded = (start: string, follow: (path: string) => boolean, { only = false } = {}) => {
  const seen = new Set<string>()
  const visit = (out: string, anyDynamic: boolean) => {
    if (seen.has(out)) return
    seen.add(out)
    for (const imp of meta.outputs[out]!.imports) {
      if (imp.external) continue
      if (imp.kind === 'import-statement') visit(imp.path, anyDynamic)
      else if ((anyDynamic && !only) || follow(imp.path)) visit(imp.path, true)
    }
  }
  visit(start, false)
  const sources = [...seen].flatMap((o) => Object.keys(meta.outputs[o]!.inputs))
  const packages = [...seen].flatMap((o) => meta.outputs[o]!.imports.filter((i) => i.external && i.kind === 'import-statement').map((i) => i.path))
  return { sources, packages }
}

// prom-client (lib/metrics.ts, loaded at the first scrape) is allowed: the primary sums the workers' metrics.
const APP_CODE = /^(app\.ts|routes\/|lib\/(create-app|router|docs|redis|mysql|kafka|serve-node|serve-bun|worker)\.ts|middleware\/)/
const APP_PACKAGES = /^(hono|@hono\/|ioredis|mysql2|kafkajs)/

describe('the primary process stays small', () => {
  it('never loads routes, the app, servers or clients (only config, logger and the supervisor)', () => {
    const entry = `${dir}/server.mjs`
    const primary = loaded(entry, (p) => /\/primary-[^/]+\.mjs$/.test(p))
    expect(primary.sources).toContain('lib/primary.ts')
    expect(primary.sources).toContain('lib/config.ts')
    expect(primary.sources.filter((s) => APP_CODE.test(s))).toEqual([])
    expect(primary.packages.filter((p) => APP_PACKAGES.test(p))).toEqual([])
    // hono is bundled into the output (scripts/bundle.ts): none of its sources either (zod is: config.ts).
    expect(primary.sources.filter((s) => /node_modules\/(hono|@hono)\//.test(s))).toEqual([])
  })

  it('forks its first worker before loading pino or zod: the log opens once a worker listens (lib/primary-log.ts)', () => {
    // What the primary has loaded when runPrimary starts: server.mjs and the primary chunk, static imports only.
    const seen = new Set<string>()
    const visit = (out: string) => {
      if (seen.has(out)) return
      seen.add(out)
      for (const imp of meta.outputs[out]!.imports) if (!imp.external && imp.kind === 'import-statement') visit(imp.path)
    }
    visit(`${dir}/server.mjs`)
    const primaryChunk = meta.outputs[`${dir}/server.mjs`]!.imports.find((i) => /\/primary-[^/]+\.mjs$/.test(i.path))!.path
    visit(primaryChunk)
    const sources = [...seen].flatMap((o) => Object.keys(meta.outputs[o]!.inputs))
    const packages = [...seen].flatMap((o) => meta.outputs[o]!.imports.filter((i) => i.external && i.kind === 'import-statement').map((i) => i.path))
    expect(sources).toContain('lib/primary.ts')
    expect(sources).toContain('lib/primary-log.ts')
    expect(sources).not.toContain('lib/logger.ts')
    // pino is loaded from its own bundle (scripts/bundle.ts), through a module of the build's own.
    expect(sources).not.toContain('pino-bundled:pino')
    expect(packages.filter((p) => /^pino/.test(p))).toEqual([])
    // Nor the env schema: the first worker validates the environment and sends the primary the result.
    expect(sources).toContain('lib/fork-settings.ts')
    expect(sources.filter((s) => s === 'lib/config.ts' || s.startsWith('node_modules/zod/'))).toEqual([])
    // …and it does load them later (so the check above can fail).
    expect(loaded(primaryChunk, () => true).sources).toEqual(expect.arrayContaining(['lib/logger.ts', 'pino-bundled:pino']))
  })

  it('opens its log with the configuration its first worker sent, without loading zod (lib/current-config.ts)', () => {
    // Everything the primary can load, except the schema it imports only if that worker died before sending it.
    const primaryChunk = meta.outputs[`${dir}/server.mjs`]!.imports.find((i) => /\/primary-[^/]+\.mjs$/.test(i.path))!.path
    const { sources } = loaded(primaryChunk, (p) => !/\/config-[^/]+\.mjs$/.test(p), { only: true })
    expect(sources).toEqual(expect.arrayContaining(['lib/logger.ts', 'lib/current-config.ts', 'pino-bundled:pino']))
    expect(sources.filter((s) => s === 'lib/config.ts' || s.startsWith('node_modules/zod/'))).toEqual([])
    // …and that fallback is the only way in: following it does load them (so the check above can fail).
    expect(loaded(primaryChunk, () => true).sources).toContain('lib/config.ts')
  })

  it('workers do load them (the check above can fail)', () => {
    const entry = `${dir}/server.mjs`
    const worker = loaded(entry, (p) => /\/(worker|app|serve-node)-[^/]+\.mjs$/.test(p))
    expect(worker.sources).toContain('app.ts')
    expect(worker.sources.some((s) => s.startsWith('routes/'))).toBe(true)
    expect(worker.sources.some((s) => s.startsWith('node_modules/@hono/zod-openapi/'))).toBe(true)
  })
})

describe('what a worker loads at start', () => {
  it('loads prom-client only on first use (a scrape), never by a static import', () => {
    const staticProm = Object.entries(meta.outputs).filter(([, o]) => o.imports.some((i) => i.external && i.path === 'prom-client' && i.kind === 'import-statement'))
    expect(staticProm.map(([name]) => name)).toEqual([])
    expect(Object.values(meta.outputs).some((o) => Object.keys(o.inputs).includes('lib/metrics.ts'))).toBe(true)
  })

  it('on Bun, without MySQL, loads none of the Node built-ins Bun serves without (each costs it 5–25 ms)', () => {
    // A Bun worker: the worker chunk, the app, serve-bun and the config chunk (the data hook reads it
    // first); not serve-node, and the data services only when flyer_db_host is set.
    const entry = `${dir}/server.mjs`
    const bun = loaded(entry, (p) => /\/(worker|app|serve-bun|config)-[^/]+\.mjs$/.test(p), { only: true })
    const node = loaded(entry, (p) => /\/(worker|app|serve-node|config)-[^/]+\.mjs$/.test(p), { only: true })
    const SLOW_ON_BUN = /^node:(http|http2|net|crypto|fs\/promises)$/
    expect(bun.sources).toContain('lib/serve-bun.ts')
    expect(bun.packages.filter((p) => SLOW_ON_BUN.test(p))).toEqual([])
    // …while Node's worker does load node:http (so the check above can fail).
    expect(node.packages).toContain('node:http')
  })

  it('bundles zod with its English messages only', () => {
    const inputs = Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs))
    const locales = inputs.filter((i) => /zod\/v4\/locales\/[^/]+\.js$/.test(i))
    expect(locales).toEqual(['node_modules/zod/v4/locales/en.js'])
    expect(inputs).toContain('node_modules/zod/v4/classic/schemas.js')
  })
})
