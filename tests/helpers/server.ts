import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

/** A free loopback port. */
export const freePort = (): Promise<number> =>
  new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => ok(port))
    })
  })

/** Polls `url` until it answers 200, or fails after `timeoutMs`. */
export const waitFor200 = async (url: string, timeoutMs = 20_000, proc?: ChildProcess): Promise<void> => {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before ${url} answered`)
    try {
      const res = await fetch(url)
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
}

/** Starts a command with env, capturing output; `stop()` kills it by PID and waits. */
export const startProcess = (cmd: string, args: string[], env: Record<string, string>, cwd = process.cwd()) => {
  const proc = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  proc.stdout!.on('data', (d) => (output += d))
  proc.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)))
  return {
    proc,
    output: () => output,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null) {
        try {
          process.kill(-proc.pid!, signal)
        } catch {
          // already gone
        }
      }
      return exited
    },
  }
}
