import type { BuildOptions, Plugin } from 'esbuild'

// Bundled into the output instead of resolved from node_modules at start-up: pure-JS packages every worker
// loads. Resolving and compiling them file by file cost ~70 ms of a worker's cold start and ~7 MB (measured).
// The rest stay external: pino and its transports run files by path in worker threads, the database and
// HTTP clients load lazily on first use, and prom-client is shared with the primary.
const BUNDLED = /^(hono|@hono\/[^/]+|zod|@asteasolutions\/zod-to-openapi|openapi3-ts|secure-json-parse)(\/|$)/

const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./#]/ }, ({ path, kind }) => (kind === 'entry-point' || BUNDLED.test(path) ? undefined : { path, external: true }))
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
  plugins: [externalPackages, zodEnglishOnly],
  logLevel: 'warning',
  legalComments: 'none',
})
