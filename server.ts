import { startServer } from '#lib/start-server.ts'

/**
 * The process entry: `npm start` (Node, built to dist/server.mjs), `npm run dev` (tsx watch),
 * `npm run start:bun` (Bun). The primary process never imports the app: only workers run `loadApp`.
 */
await startServer({ loadApp: async () => (await import('./app.ts')).buildApp() })
