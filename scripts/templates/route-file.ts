/**
 * Templates for `npm run new`: a route file and its test. Pure string builders; every literal that
 * comes from the user goes through JSON.stringify.
 */

export type TemplateMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface TemplateInput {
  methods: TemplateMethod[]
  /** Full URL pattern as the docs show it, e.g. `/flyer/v1/hosts/{ip}`. */
  url: string
  /** `true` when the file is under the service root (the test then builds the URL from `config.prefix`). */
  service: boolean
  /** Path relative to the mount, e.g. `/hosts/{ip}`. */
  path: string
  params: string[]
  catchAll: string[]
  summary: string
}

const HAS_BODY: readonly TemplateMethod[] = ['POST', 'PUT', 'PATCH']

/** A single-quoted string literal, escaped by JSON.stringify (the project's quote style). */
const q = (s: string) => `'${JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`

/** An object literal of string values; keys are parameter names, already valid identifiers. */
const obj = (o: Record<string, string>) => (Object.keys(o).length ? `{ ${Object.entries(o).map(([k, v]) => `${k}: ${q(v)}`).join(', ')} }` : '{}')

/** Example value of a path parameter in the generated test. */
const sample = (param: string, input: TemplateInput) => (input.catchAll.includes(param) ? 'a/b' : 'example')

const paramsSchema = (params: string[]) =>
  `const Params = z.object({\n${params.map((p) => `  ${p}: z.string().min(1).max(128).openapi({ example: 'example' }),`).join('\n')}\n})\n`

/** The body/query field of the template; not one of the path parameters. */
const fieldOf = (input: TemplateInput) => ['name', 'value', 'label', 'text'].find((f) => !input.params.includes(f)) ?? 'input'

const routeExport = (method: TemplateMethod, input: TemplateInput, summary: string): string => {
  const body = HAS_BODY.includes(method)
  const request: string[] = []
  if (input.params.length) request.push('params: Params')
  if (method === 'GET') request.push('query: Query')
  if (body) request.push("body: { required: true, content: { 'application/json': { schema: Body } } }")
  const field = fieldOf(input)
  const reads: string[] = []
  if (input.params.length) reads.push("    const params = c.req.valid('param')")
  if (method === 'GET') reads.push(`    const { ${field} = '' } = c.req.valid('query')`)
  if (body) reads.push(`    const { ${field} } = c.req.valid('json')`)
  const fields = [...(input.params.length ? ['...params'] : []), ...(method === 'DELETE' ? [] : [field])]
  return `/** ${method} ${input.url} */
export const ${method} = defineRoute(
  {
    summary: ${q(summary)},
    description: 'TODO: what it does, what it touches, when it fails.',
${request.length ? `    request: { ${request.join(', ')} },\n` : ''}    responses: { 200: json(Reply, 'Done') },
  },
  (c) => {
${reads.join('\n')}${reads.length ? '\n' : ''}    return c.json({ code: 200, msg: 'success', data: { ${fields.join(', ')} } }, 200)
  },
)
`
}

/** The route file: schemas, then one `defineRoute` export per method. */
export const renderRouteFile = (input: TemplateInput): string => {
  const { methods } = input
  const parts: string[] = []
  parts.push("import { defineRoute } from '#lib/route.ts'\nimport { json, z } from '#lib/schemas.ts'\n")
  if (input.params.length) parts.push(paramsSchema(input.params))
  const field = fieldOf(input)
  if (methods.includes('GET')) parts.push(`const Query = z.object({\n  ${field}: z.string().max(128).optional().openapi({ example: 'flyer', description: 'TODO: a filter' }),\n})\n`)
  if (methods.some((m) => HAS_BODY.includes(m))) {
    parts.push(`const Body = z.object({\n  ${field}: z.string().min(1).max(128).openapi({ example: 'flyer', description: 'TODO: what to act on' }),\n})\n`)
  }
  const data = [...input.params.map((p) => `    ${p}: z.string(),`), ...(methods.some((m) => m !== 'DELETE') ? [`    ${field}: z.string().optional(),`] : [])]
  parts.push(
    `const Reply = z.object({\n  code: z.number().int().openapi({ example: 200 }),\n  msg: z.string().openapi({ example: 'success' }),\n  data: z.object({${data.length ? `\n${data.join('\n')}\n  ` : ''}}),\n})\n`,
  )
  for (const m of methods) parts.push(routeExport(m, input, methods.length > 1 ? `${input.summary} (${m})` : input.summary))
  return parts.join('\n')
}

/** The test: one passing request per method, plus a validation failure where there is input to get wrong. */
export const renderTestFile = (input: TemplateInput, helpersImport: string): string => {
  let path = input.path
  for (const p of input.params) path = path.replace(`{${p}}`, sample(p, input))
  if (input.service && path === '/') path = ''
  const url = input.service ? `\`\${config.prefix}${path}\`` : q(path)
  const params = Object.fromEntries(input.params.map((p) => [p, sample(p, input)]))
  const field = fieldOf(input)
  const cases: string[] = []
  const usesJson = input.methods.some((m) => HAS_BODY.includes(m))
  for (const m of input.methods) {
    const body = HAS_BODY.includes(m)
    const data = { ...params, ...(m === 'DELETE' ? {} : { [field]: 'flyer' }) }
    const target = m === 'GET' ? (input.service ? url.replace(/`$/, `?${field}=flyer\``) : q(`${path}?${field}=flyer`)) : url
    const init = body ? `, jsonInit({ ${field}: 'flyer' }${m === 'POST' ? '' : `, { method: '${m}' }`})` : m === 'GET' ? '' : `, { method: '${m}' }`
    cases.push(`  it('${m} answers code 200 with the data', async () => {
    const { app${input.service ? ', config' : ''} } = testApp()
    const res = await app.request(${target}${init})
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ code: 200, msg: 'success', data: ${obj(data)} })
  })
`)
    if (body) {
      cases.push(`  it('${m} answers code 40000 naming the bad field', async () => {
    const { app${input.service ? ', config' : ''} } = testApp()
    const res = await app.request(${url}, jsonInit({ ${field}: 42 }${m === 'POST' ? '' : `, { method: '${m}' }`}))
    const body = await res.json()
    expect(body.code).toBe(40000)
    expect(body.msg).toContain('body.${field}')
  })
`)
    }
  }
  return `import { describe, expect, it } from 'vitest'
import { ${usesJson ? 'jsonInit, ' : ''}testApp } from ${q(helpersImport)}

describe(${q(`${input.methods.join(', ')} ${input.url}`)}, () => {
${cases.join('\n')}})
`
}
