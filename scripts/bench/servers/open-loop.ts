// The open-loop generator as a process of its own, so the benchmark can pin it to the load CPU.
// `node open-loop.mjs '<OpenLoopOptions as JSON>'` prints one JSON line (OpenLoopResult).
import { openLoop, type OpenLoopOptions } from '../open-loop.ts'

const options = JSON.parse(process.argv[2] ?? '{}') as OpenLoopOptions
console.log(JSON.stringify(await openLoop(options)))
