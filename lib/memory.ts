let rssMb = 0
let timer: ReturnType<typeof setInterval> | undefined

const sample = () => {
  rssMb = Math.round(process.memoryUsage.rss() / 104857.6) / 10
}

/**
 * The worker's resident memory in MiB, sampled every `everyMs` by a background timer so a request
 * never pays for the syscall. Used by X-Memory-Usage, the access log and the memory guard.
 */
export const currentRssMb = (everyMs = 250): number => {
  if (!timer) {
    sample()
    timer = setInterval(sample, everyMs)
    timer.unref()
  }
  return rssMb
}
