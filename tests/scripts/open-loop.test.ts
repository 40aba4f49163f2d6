import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openLoop, percentile, requestBytes, ResponseReader } from '../../scripts/bench/open-loop.ts'

// The benchmark's open-loop generator: its parsing and ranks, and a short real run on loopback that counts
// what was sent and answered. No latency value is asserted.
describe('open-loop load generator', () => {
  it('splits responses by Content-Length, also when a chunk ends mid-response or holds several', () => {
    const r = new ResponseReader()
    const one = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
    const two = 'HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\nno'
    expect(r.push(one.slice(0, 20))).toEqual([])
    expect(r.push(one.slice(20) + two + one.slice(0, 3))).toEqual([200, 404])
    expect(r.push(one.slice(3))).toEqual([200])
  })

  it('reads chunked bodies to their last chunk, and bodiless answers', () => {
    const r = new ResponseReader()
    expect(r.push('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n')).toEqual([])
    expect(r.push('0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n')).toEqual([200, 204])
  })

  it('takes nearest-rank percentiles', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(sorted, 0.5)).toBe(50)
    expect(percentile(sorted, 0.99)).toBe(99)
    expect(percentile(sorted, 1)).toBe(100)
    expect(percentile(new Float64Array(0), 0.5)).toBeNaN()
  })

  it('writes the request with its Host, headers and body length', () => {
    const bytes = requestBytes({ host: '127.0.0.1', port: 8080, method: 'POST', path: '/x', body: '{"a":"é"}', headers: { 'Content-Type': 'application/json' } })
    expect(bytes.toString()).toBe('POST /x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a":"é"}')
  })

  describe('against a node:http server on loopback', () => {
    let server: Server
    let port = 0
    const seen: string[] = []
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = ''
        req.on('data', (d: Buffer) => (body += d))
        req.on('end', () => {
          seen.push(`${req.method} ${req.url} ${body}`)
          res.writeHead(req.url === '/fail' ? 500 : 200, { 'Content-Type': 'application/json' }).end('{"code":200}')
        })
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      port = (server.address() as AddressInfo).port
    })
    afterAll(() => new Promise<void>((r) => server.close(() => r())))

    it('sends rate × (warm-up + duration) requests and records those after the warm-up', async () => {
      seen.length = 0
      const r = await openLoop({ host: '127.0.0.1', port, method: 'POST', path: '/ok', body: '{"n":1}', rate: 400, warmupSec: 0.25, durationSec: 0.5, connections: 4 })
      expect(seen).toHaveLength(300)
      expect(seen[0]).toBe('POST /ok {"n":1}')
      expect(r).toMatchObject({ rate: 400, recorded: 200, errors: 0 })
      expect(r.p50Ms).toBeGreaterThan(0)
      expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms)
      expect(r.maxMs).toBeGreaterThanOrEqual(r.p99Ms)
    })

    it('counts answers with status ≥ 400 as errors, not latencies', async () => {
      const r = await openLoop({ host: '127.0.0.1', port, method: 'GET', path: '/fail', rate: 200, warmupSec: 0, durationSec: 0.25, connections: 2 })
      expect(r).toMatchObject({ recorded: 0, errors: 50 })
    })
  })
})
