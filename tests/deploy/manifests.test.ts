import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { envSchema, loadConfig } from '#lib/config.ts'

const DIR = 'deploy/kubernetes'

// Loose shapes: just what the checks read.
type Probe = { httpGet: { path: string; port: string | number } }
type Container = {
  ports: { name: string; containerPort: number }[]
  envFrom: { configMapRef: { name: string } }[]
  env: { name: string }[]
  resources: { requests: Record<string, string>; limits: Record<string, string> }
  livenessProbe: Probe
  readinessProbe: Probe
  startupProbe: Probe
  lifecycle: { preStop: { exec: { command: string[] } } }
}
type Manifest = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec: any; data?: Record<string, string> }

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
const docs = files.flatMap((f) =>
  parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${f}: ${d.errors.map((e) => e.message).join('; ')}`)
    return d.toJS() as Manifest
  }),
)
const one = (kind: string) => {
  const found = docs.filter((d) => d.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]!
}

describe('deploy/kubernetes manifests', () => {
  const configMap = one('ConfigMap')
  const deployment = one('Deployment')
  const pod = deployment.spec.template.spec
  const container = pod.containers[0] as Container
  const cfg = loadConfig(configMap.data!)
  const defaults = loadConfig({})

  it('parse, and the kustomization lists every manifest', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service'])
    const kustomization = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] }
    expect(kustomization.resources.sort()).toEqual([...files].sort())
    expect(existsSync(join(DIR, 'README.md'))).toBe(true)
  })

  it('ConfigMap: only real flyer_* variables, valid for lib/config.ts, no secrets', () => {
    const known = Object.keys(envSchema.shape)
    for (const key of Object.keys(configMap.data!)) expect(known, key).toContain(key)
    expect(Object.keys(configMap.data!).filter((k) => /pass|secret|token/i.test(k))).toEqual([])
    for (const value of Object.values(configMap.data!)) expect(typeof value).toBe('string')
  })

  it('keeps the defaults that clients and probes depend on (port, base url, version)', () => {
    expect(cfg.port).toBe(defaults.port)
    expect(cfg.prefix).toBe(defaults.prefix)
    expect(cfg.host).toBe('0.0.0.0')
  })

  it('Deployment: the container port, probes and env agree with the config', () => {
    expect(container.ports).toEqual([{ name: 'http', containerPort: cfg.port }])
    expect(container.envFrom[0]!.configMapRef.name).toBe(configMap.metadata.name)
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health_check', port: 'http' })
    expect(container.startupProbe.httpGet).toEqual({ path: '/health_check', port: 'http' })
    expect(container.readinessProbe.httpGet).toEqual({ path: `${cfg.prefix}/ready`, port: 'http' })
    // Secrets come from a Secret, each one a real variable.
    for (const { name } of container.env) expect(Object.keys(envSchema.shape)).toContain(name)
  })

  it('Deployment: terminationGracePeriodSeconds covers preStop + flyer_graceful_timeout with room', () => {
    const command = container.lifecycle.preStop.exec.command
    expect(command[0]).toBe('sleep')
    const preStop = Number(command[1])
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + cfg.gracefulTimeoutSec + 5)
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(defaults.gracefulTimeoutSec)
  })

  it('Deployment: resources, non-root, read-only root with a writable log dir', () => {
    expect(container.resources.limits.cpu).toBeDefined()
    expect(container.resources.limits.memory).toBeDefined()
    expect(container.resources.requests.cpu).toBeDefined()
    expect(pod.securityContext.runAsNonRoot).toBe(true)
    expect((container as any).securityContext.readOnlyRootFilesystem).toBe(true)
    expect((container as any).volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain(cfg.log.dir)
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0)
  })

  it('Service and HPA point at the Deployment', () => {
    const service = one('Service')
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels)
    expect(service.spec.ports[0].targetPort).toBe('http')
    const hpa = one('HorizontalPodAutoscaler')
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name })
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas)
    expect(one('PodDisruptionBudget').spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels)
  })
})
