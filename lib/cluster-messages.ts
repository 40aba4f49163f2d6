import type { Config } from './config.ts'
import type { LogMessage } from './log-forward.ts'

/** Why a worker asks to be replaced. */
export type RetireReason = 'max-requests' | 'max-rss' | 'error'

/** Worker → primary, over the cluster IPC channel. */
export type WorkerMessage =
  /** First, right after the worker validated the environment: the primary forks before it loads the schema. */
  | { flyer: 'config'; config: Config }
  | { flyer: 'heartbeat' }
  | { flyer: 'ready'; port: number }
  | { flyer: 'retire'; reason: RetireReason; requests?: number; rssMb?: number }
  /** Sent after the worker's listener closed; the primary answers `drained-ack` (see lib/worker.ts). */
  | { flyer: 'drained' }
  | LogMessage

/** Primary → worker: stop accepting, drain, exit 0; or the answer to `drained`. */
export type PrimaryMessage = { flyer: 'shutdown' } | { flyer: 'drained-ack' }

export const isFlyerMessage = (m: unknown): m is WorkerMessage | PrimaryMessage =>
  typeof m === 'object' && m !== null && typeof (m as { flyer?: unknown }).flyer === 'string'

/** Workers beat this often; the primary kills one silent for `flyer_timeout` (its event loop is blocked). */
export const HEARTBEAT_MS = 1000
