import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// Issue 6: dependencies stay at versions with no known advisory.
const FLOORS: Record<string, string> = { hono: '4.13.5', '@hono/node-server': '2.1.0', 'swagger-ui-dist': '5.32.7', mysql2: '3.23.1' }

const newer = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split('-')[0]!.split('.').map(Number))
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! > y![i]!
  return true
}

describe('dependency floors', () => {
  it.each(Object.entries(FLOORS))('installs %s at %s or later', (name, floor) => {
    const { version } = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }
    expect(newer(version, floor), `${name}@${version} < ${floor}`).toBe(true)
  })
})
