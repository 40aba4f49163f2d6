import type { Config } from './config.ts'

/** Keys whose values never reach a log: passwords, tokens, secrets, credentials, cookies. */
export const SECRET_KEY = /pass(word|wd)?|secret|token|authori[sz]ation|cookie|api[-_]?key|credential|private[-_]?key|session/i

export const REDACTED = '[REDACTED]'

const MAX_DEPTH = 8
const MAX_KEYS = 100

/**
 * A copy of `value` with secret-looking fields replaced, safe to log. Bounded in depth and width so a
 * hostile body cannot make logging expensive.
 */
export const redact = (value: unknown, depth = 0): unknown => {
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_DEPTH) return '[…]'
  if (Array.isArray(value)) {
    const out = value.slice(0, MAX_KEYS).map((v) => redact(v, depth + 1))
    if (value.length > MAX_KEYS) out.push(`[…${value.length - MAX_KEYS} more]`)
    return out
  }
  const out: Record<string, unknown> = {}
  let n = 0
  for (const key of Object.keys(value)) {
    if (n++ >= MAX_KEYS) {
      out['…'] = 'more keys'
      break
    }
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact((value as Record<string, unknown>)[key], depth + 1)
  }
  return out
}

/** Serialises a redacted body for a log line, cut to `max` characters. */
export const bodyForLog = (body: unknown, max = 2048): string | undefined => {
  if (body === undefined) return undefined
  let text: string
  try {
    text = typeof body === 'string' ? body : JSON.stringify(redact(body))
  } catch {
    return '[unserialisable]'
  }
  return text.length > max ? `${text.slice(0, max)}…[${text.length - max} more chars]` : text
}

/** Redacts `user:pass@` and secret-looking query parameters in a URL for logging. */
export const redactUrl = (url: string): string =>
  url
    .replace(/\/\/[^/@\s]*:[^/@\s]*@/, '//[REDACTED]@')
    .replace(/([?&])([^=&#]*)=([^&#]*)/g, (m, sep: string, key: string) => (SECRET_KEY.test(key) ? `${sep}${key}=${REDACTED}` : m))

/** Header names whose values are replaced in logs, whatever their casing. */
export const redactHeaders = (headers: Record<string, string>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) out[k] = SECRET_KEY.test(k) ? REDACTED : v
  return out
}

/**
 * The effective configuration for the start-up log, secrets masked by the rule every log uses
 * (`SECRET_KEY`, `[REDACTED]`); an empty one stays empty, which says none is set. Here, not in
 * config.ts, so the primary can log it without loading the env schema (zod).
 */
export const redactedConfig = (c: Config): Record<string, unknown> =>
  JSON.parse(JSON.stringify(c, (key, value) => (typeof value === 'string' && value !== '' && SECRET_KEY.test(key) ? REDACTED : value)))
