import { loadConfig, type Config } from '#lib/config.ts'
import { createApp, type CreateAppOptions } from '#lib/create-app.ts'
import * as projectRouter from '../../routes/_router.gen.ts'

export interface Captured {
  access: Record<string, unknown>[]
  errors: { obj: object; msg: string }[]
}

/**
 * A fresh app per test, with its own config (from a plain env object) and in-memory log sinks.
 * @example
 * const { app, logs } = testApp({ flyer_http_errors: '1' })
 */
export const testApp = (env: Record<string, string> = {}, options: Partial<Omit<CreateAppOptions, 'config'>> = {}) => {
  const config: Config = loadConfig({ flyer_log_file: '0', ...env })
  const logs: Captured = { access: [], errors: [] }
  const log = {
    error: (obj: object, msg: string) => void logs.errors.push({ obj, msg }),
    warn: (obj: object, msg: string) => void logs.errors.push({ obj, msg }),
    info: () => {},
  }
  const app = createApp({ router: projectRouter, config, log: log as never, accessLog: { info: (r: object) => void logs.access.push(r as Record<string, unknown>) }, ...options })
  return { app, config, logs }
}

/** A JSON request init; `contentType: null` sends the body with no Content-Type at all. */
export const jsonInit = (
  body: unknown,
  { method = 'POST', contentType = 'application/json' as string | null, headers = {} as Record<string, string>, contentLength = true } = {},
): RequestInit => {
  // Bytes, not a string: a string body makes fetch add text/plain on its own.
  const bytes = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body))
  return {
    method,
    body: bytes,
    headers: {
      ...(contentType === null ? {} : { 'content-type': contentType }),
      // What real clients send; `contentLength: false` leaves it out, as a chunked upload would.
      ...(contentLength ? { 'content-length': String(bytes.byteLength) } : {}),
      ...headers,
    },
  }
}
