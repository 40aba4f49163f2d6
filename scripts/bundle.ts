import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { build, type BuildOptions, type BuildResult, type Plugin } from 'esbuild'

// Bundled into the output instead of resolved from node_modules at start-up: pure-JS packages every worker
// loads. Resolving and compiling them file by file cost ~70 ms of a worker's cold start and ~7 MB (measured).
// The rest stay external: pino and pino-roll have bundles of their own beside the chunks (below), the
// database and HTTP clients load lazily on first use, and prom-client is shared with the primary.
const BUNDLED = /^(hono|@hono\/[^/]+|zod|@asteasolutions\/zod-to-openapi|openapi3-ts|secure-json-parse)(\/|$)/

const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./#]/ }, ({ path, kind }) => (kind === 'entry-point' || BUNDLED.test(path) ? undefined : { path, external: true }))
  },
}

/** Where the server's chunks find their own bundle of pino (`pinoOptions`), from the chunk importing it. */
export const PINO_FILE = 'pino.cjs'

/**
 * The files pino runs by path in a worker thread when a transport starts (the app log in development,
 * `pino/file`): in the package, since the bundle has no files of its own there. pino looks them up in
 * `globalThis.__bundlerPathsOverrides`, its documented hook for bundlers; each is resolved when first
 * asked for, so a server that starts no transport resolves none.
 */
const PINO_RUNS_BY_PATH = { 'pino-worker': 'pino/lib/worker.js', 'pino/file': 'pino/file.js', 'thread-stream-worker': 'thread-stream/lib/worker.js' }

/**
 * `import pino from 'pino'` in the server's chunks loads `chunks/pino.cjs` instead of the package. A
 * named import of a value from 'pino' fails the build (this module has only the default).
 */
const pinoFromItsBundle: Plugin = {
  name: 'pino-from-its-bundle',
  setup(b) {
    b.onResolve({ filter: /^pino$/ }, ({ kind }) => (kind === 'import-statement' ? { path: 'pino', namespace: 'pino-bundled' } : undefined))
    b.onLoad({ filter: /.*/, namespace: 'pino-bundled' }, () => ({
      contents: `import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const overrides = (globalThis.__bundlerPathsOverrides ??= {})
const paths = ${JSON.stringify(PINO_RUNS_BY_PATH)}
for (const [name, file] of Object.entries(paths)) {
  if (name in overrides) continue
  // thread-stream is pino's dependency: found from pino, wherever npm put it.
  const from = () => (name === 'thread-stream-worker' ? createRequire(require.resolve('pino')) : require)
  let path
  Object.defineProperty(overrides, name, { enumerable: true, configurable: true, get: () => (path ??= from().resolve(file)) })
}
export default require(${JSON.stringify(`./${PINO_FILE}`)})
`,
      loader: 'js',
    }))
  },
}

/**
 * zod's `locales` namespace re-exports every language's error messages (~300 KB of source, a third of
 * zod, ~2 MB of a worker's RSS); zod itself uses English, which Flyer's validation messages are in. The
 * bundle keeps English: `z.locales.en` works, another language is not in the production bundle.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer, resolveDir }) =>
      /[\\/]zod[\\/]v4[\\/]/.test(importer) ? { path: `${resolveDir}/locales-en`, namespace: 'zod-english-only', pluginData: resolveDir } : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, ({ pluginData }) => ({ contents: "export { default as en } from '../locales/en.js'", resolveDir: pluginData as string }))
  },
}

/** Where the primary's log finds its own copy of pino-roll in a build (lib/logger.ts), from its chunk. */
export const PINO_ROLL_FILE = 'pino-roll.cjs'

/** A package bundled on its own into one CommonJS file (which pino and pino-roll are written in, so their `require`s of Node's modules stay plain). */
const packageAsCommonJs = (pkg: string, outfile: string, plugins: Plugin[] = []): BuildOptions => ({
  entryPoints: [createRequire(import.meta.url).resolve(pkg)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins,
  logLevel: 'warning',
  legalComments: 'none',
})

/**
 * pino-roll takes five functions from date-fns by requiring the package's index, which loads all of
 * date-fns (~250 modules): on Node 85–115 ms of the primary's CPU at every start, on Bun ~60 ms (measured),
 * spent as its first worker answers its first request. Its bundle takes just those five, with what they
 * use. The names are read from pino-roll's own `require('date-fns')` line; a version taking date-fns
 * another way fails the build, saying what to update.
 */
const dateFnsAsPinoRollUses: Plugin = {
  name: 'date-fns-as-pino-roll-uses',
  setup(b) {
    b.onResolve({ filter: /^date-fns$/ }, ({ importer, resolveDir }) => ({ path: importer, namespace: 'date-fns-used', pluginData: resolveDir }))
    b.onLoad({ filter: /.*/, namespace: 'date-fns-used' }, ({ path, pluginData }) => {
      const names = /const \{([^}]*)\} = require\('date-fns'\)/.exec(readFileSync(path, 'utf8'))?.[1]?.split(',').map((n) => n.trim())
      if (!names?.length || names.some((n) => !/^[A-Za-z]+$/.test(n))) {
        return { errors: [{ text: `${path} no longer takes date-fns as \`const { … } = require('date-fns')\`: update dateFnsAsPinoRollUses in scripts/bundle.ts` }] }
      }
      return { contents: names.map((n) => `exports.${n} = require('date-fns/${n}').${n}`).join('\n'), loader: 'js', resolveDir: pluginData as string }
    })
  },
}

/**
 * pino-roll on its own, as CommonJS (which it is written in, so its `require`s of Node's modules stay
 * plain): `<outdir>/chunks/pino-roll.cjs`, ~180 KB, ~9 ms to load on Node. Every build writes it
 * beside the server's chunks (`scripts/build.ts`, the runtime tests' builds), where the chunk holding
 * lib/logger.ts finds it (a runtime test's primary could not open its log without it).
 */
export const pinoRollOptions = (outdir: string): BuildOptions => packageAsCommonJs('pino-roll', join(outdir, 'chunks', PINO_ROLL_FILE), [dateFnsAsPinoRollUses])

/**
 * pino on its own, as CommonJS: `<outdir>/chunks/pino.cjs`, ~150 KB. From node_modules pino is ~15 files
 * in 9 packages, each resolved, read and pre-parsed for named exports by Node's ESM loader: ~40 ms of
 * every process's start here, the worker's before it listens (measured, one CPU); its bundle loads in
 * ~14 ms. Every build writes it beside the chunks, where `pinoFromItsBundle` looks.
 */
export const pinoOptions = (outdir: string): BuildOptions => packageAsCommonJs('pino', join(outdir, 'chunks', PINO_FILE))

/** The bundles every build writes beside the server's chunks: pino and pino-roll. */
const sideBundles = (outdir: string): BuildOptions[] => [pinoOptions(outdir), pinoRollOptions(outdir)]

/**
 * How `npm run build` bundles the server, shared with the runtime tests so they run what users run.
 * Split into chunks: the primary loads `server.mjs` only; the app (routes, clients) is a chunk that only
 * workers import (lib/start-server.ts).
 */
export const bundleOptions = (entry: string, outdir: string): BuildOptions => ({
  entryPoints: { server: entry },
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [pinoFromItsBundle, externalPackages, zodEnglishOnly],
  // The primary's log (lib/logger.ts, in a chunk) loads the pino-roll that `pinoRollOptions` writes beside it.
  define: { __FLYER_PINO_ROLL__: JSON.stringify(`./${PINO_ROLL_FILE}`) },
  logLevel: 'warning',
  legalComments: 'none',
})

/**
 * A whole build of `entry` into `outdir`: the server's chunks and the bundles beside them
 * (`sideBundles`), which the chunks load at run time. `npm run build` and the runtime tests build with it.
 */
export const buildServer = async (entry: string, outdir: string, extra: BuildOptions = {}): Promise<BuildResult> => {
  const result = await build({ ...bundleOptions(entry, outdir), ...extra })
  for (const side of sideBundles(outdir)) await build(side)
  return result
}
