import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ErrorCode, httpStatusFor } from '#lib/errors.ts'

describe('ErrorCode table', () => {
  it('keeps the original codes', () => {
    expect(ErrorCode).toMatchObject({
      IS_SUCCESS: 200,
      VALIDATE_REQUEST_PARAMS_ERROR: 40000,
      VALIDATE_RESPONSE_CONTENT_ERROR: 40001,
      VALIDATE_RESPONSE_CODE_ERROR: 40002,
      INNER_SELF_ERROR: 50000,
    })
  })

  it('has unique codes, each with an HTTP status', () => {
    const codes = Object.values(ErrorCode)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) expect(httpStatusFor[code]).toBeGreaterThanOrEqual(200)
  })

  it('documents every code by name in the README', () => {
    const readme = readFileSync('README.md', 'utf8')
    for (const [name, code] of Object.entries(ErrorCode)) expect(readme).toMatch(new RegExp(`\\| ${code}\\s+\\| \`${name}\``))
  })
})
