import type { Config } from './config.ts'

/**
 * The process's configuration, held apart from its schema (config.ts, which loads zod). The primary
 * logs with the configuration its first worker validated and sent, so it never loads zod for it (30–50 ms
 * of its CPU as that worker answers its first request, and ~5 MB of its RSS); the logger reads it from here.
 * config.ts hands in the loader (`process.env` against the schema) when it is imported.
 */
let current: Config | undefined
let load: (() => Config) | undefined

/** The configuration: set, or loaded from the environment on first use (config.ts's `config()`). */
export const currentConfig = (): Config => {
  if (current) return current
  if (!load) throw new Error('flyer: no configuration yet: import lib/config.ts (or call setConfig) before using it')
  return (current = load())
}

/** Replaces the configuration (config.ts's `setConfig`). */
export const setCurrentConfig = (next: Config | undefined): void => {
  current = next
}

/** How `currentConfig()` loads the configuration when none was set (config.ts registers it). */
export const setConfigLoader = (loader: () => Config): void => {
  load = loader
}
