import type { Flyer } from './flyer.ts'
import { type LoadOptions, sleep, startLoad } from './load.ts'

/**
 * A SIGHUP rolling reload under steady load: resolves once the primary logged `reload finished` and the
 * load stopped; `from` is the index of the first log line after the signal.
 */
export const reloadUnderLoad = async (f: Flyer, load: Omit<LoadOptions, 'port'>) => {
  const running = startLoad({ port: f.port, ...load })
  await sleep(300)
  const from = f.lines.length
  f.kill('SIGHUP')
  await f.waitForLine((l) => l.msg === 'reload finished', 30_000, from)
  await sleep(300)
  return { stats: await running.stop(), from }
}

/**
 * SIGTERM after `warmMs` of load: from just before the signal on, loops open no new connections, so the
 * stats count accepted requests only. Resolves with them, the exit and when the signal was sent.
 */
export const terminateUnderLoad = async (f: Flyer, load: Omit<LoadOptions, 'port'>, warmMs: number) => {
  const running = startLoad({ port: f.port, ...load })
  await sleep(warmMs)
  running.acceptedOnly()
  // Let connections opened just before settle on a worker: the contract is about accepted requests.
  await sleep(100)
  const signalled = Date.now()
  f.kill('SIGTERM')
  const [stats, exit] = await Promise.all([running.drained(), f.exited])
  return { stats, exit, signalled }
}
