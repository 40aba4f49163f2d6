import type { OpenAPIHono } from '@hono/zod-openapi'
import type { Config } from './config.ts'

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

/** The original's description block: what the API is, both docs pages, author and release date. */
export const docsInfo = (c: Config) => ({
  title: 'Flyer API',
  version: c.version,
  description: [
    'Flyer: file-system routed HTTP APIs for operations teams.',
    '',
    `- Swagger UI: [${c.prefix}/docs](${c.prefix}/docs)`,
    `- ReDoc: [${c.prefix}/redoc](${c.prefix}/redoc)`,
    `- OpenAPI document: [${c.prefix}/openapi.json](${c.prefix}/openapi.json)`,
    `- Author: ${c.docs.author}`,
    ...(c.docs.releaseDate ? [`- Release date: ${c.docs.releaseDate}`] : []),
    '',
    'Errors answer `{code, msg, logId, clientIp}`: 40000 bad request, 40001 bad response, 40002 upstream failed, 50000 internal error. ' +
      (c.httpErrors ? 'HTTP statuses follow the code (flyer_http_errors=1).' : 'Validation and handler errors are sent with HTTP 200; read `code` (set flyer_http_errors=1 for 4xx/5xx statuses).'),
  ].join('\n'),
})

/** The OpenAPI 3 document of an app, generated once. */
export const openApiDocument = (app: OpenAPIHono, c: Config): object =>
  app.getOpenAPIDocument({
    openapi: '3.0.3',
    info: docsInfo(c),
    ...(c.auth.enabled ? { security: [{ basicAuth: [] }] } : {}),
  })

const page = (title: string, favicon: string, head: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="${favicon}">
${head}
</head>
<body style="margin:0">
${body}
</body>
</html>`

/** Swagger UI with every asset served by this server. */
export const swaggerHtml = (c: Config): string => {
  const s = `${c.baseUrl}/static`
  return page(
    'Flyer API - Swagger UI',
    `${s}/favicon.png`,
    `<link rel="stylesheet" href="${s}/vendor/swagger-ui/swagger-ui.css">`,
    `<div id="swagger-ui"></div>
<script src="${s}/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: ${JSON.stringify(`${c.prefix}/openapi.json`)}, dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true, validatorUrl: null })
</script>`,
  )
}

/** ReDoc with every asset served by this server. */
export const redocHtml = (c: Config): string => {
  const s = `${c.baseUrl}/static`
  return page(
    'Flyer API - ReDoc',
    `${s}/favicon.png`,
    '',
    `<redoc spec-url="${esc(`${c.prefix}/openapi.json`)}"></redoc>
<script src="${s}/vendor/redoc/redoc.standalone.js"></script>`,
  )
}
