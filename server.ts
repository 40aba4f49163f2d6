import { startServer } from '#lib/start-server.ts'

/**
 * The process entry: `npm start` (Node) and `npm run start:bun` (Bun) run its build, dist/server.mjs;
 * `npm run dev` runs it with tsx watch. The primary process never imports the app: only workers run `loadApp`.
 */
await startServer({ loadApp: async () => (await import('./app.ts')).buildApp() })
