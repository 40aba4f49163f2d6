// Baseline: node:http alone answering the health-check body. `node bare-node-http.mjs <port>`
import { createServer } from 'node:http'

const body = JSON.stringify({ msg: 'success', code: 200 })
const length = Buffer.byteLength(body)
const port = Number(process.argv[2] ?? 8080)

createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': length })
  res.end(body)
}).listen(port, '127.0.0.1')
