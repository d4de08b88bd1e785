import type { Progress } from './runtime.js'

/**
 * Forwards a handler's progress (epochs, trees) to the caller; a handler that reports none still
 * gives the caller one `{ done: 1, total: 1 }` when the call's task is done.
 */
export function handlerProgress(onProgress: ((progress: Progress) => void) | undefined): { report?: (progress: Progress) => void; finish(): void } {
  if (!onProgress) return { finish: () => undefined }
  let reported = false
  return {
    report: (progress) => {
      reported = true
      onProgress(progress)
    },
    finish: () => {
      if (!reported) onProgress({ done: 1, total: 1 })
    },
  }
}
