import { writeFile } from 'node:fs/promises'
import { loadConfig } from '../lib/config.ts'
import { openApiDocument } from '../lib/docs.ts'

/** The OpenAPI document with default settings, from the generated router table; no services needed. */
export const buildOpenApi = async (env: Record<string, string | undefined> = {}): Promise<object> => {
  const { buildApp } = await import('../app.ts')
  const c = loadConfig(env)
  return openApiDocument(buildApp({ config: c, accessLog: false, log: { error() {}, warn() {}, info() {} } }), c)
}

export const writeOpenApi = async (file: string): Promise<string> => {
  await writeFile(file, `${JSON.stringify(await buildOpenApi(), null, 2)}\n`)
  return file
}
