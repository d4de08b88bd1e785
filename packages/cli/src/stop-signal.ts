/**
 * Resolves on SIGINT or SIGTERM, or after `ms`. Long-running commands (serve, worker,
 * jobs run-scheduler) call it *before* they announce that they run: a supervisor or test that
 * signals as soon as it reads the announcement must find the handlers in place. Writing to a pipe
 * can hand the CPU to its reader before the writer runs on, so a handler installed after the
 * write was sometimes not there yet, and SIGTERM killed the process (exit by signal, not 0).
 */
export function stopSignal(ms?: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      clearTimeout(timer)
      resolve()
    }
    const timer = ms === undefined ? undefined : setTimeout(done, ms)
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
  })
}
