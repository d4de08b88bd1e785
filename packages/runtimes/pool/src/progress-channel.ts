import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { PROGRESS_INTERVAL_MS, type Progress } from '@omega/core'

/** The message that ends a task's progress stream (sent after the last report). */
interface ProgressEnd {
  readonly end: true
}

/**
 * The calling thread's end of one task's progress: a MessagePort per task, so reports reach the
 * caller that asked for them while the task runs, not after its result.
 */
export class ProgressReceiver {
  /** The port to transfer to the worker with the task. */
  readonly port: MessagePort
  readonly #local: MessagePort
  readonly #ended: Promise<void>
  #settled = false
  /** The caller's callback threw: the call rejects with that error. */
  error: unknown

  constructor(onProgress: (progress: Progress) => void) {
    const { port1, port2 } = new MessageChannel()
    this.port = port2
    this.#local = port1
    this.#ended = new Promise<void>((resolve) => {
      port1.on('message', (message: Progress | ProgressEnd) => {
        if ('end' in message) return resolve()
        if (this.#settled || this.error !== undefined) return
        try {
          onProgress(message)
        } catch (err) {
          this.error = err
        }
      })
      // A worker that died never sends its end.
      port1.on('close', () => resolve())
    })
  }

  /** Waits until every report the worker sent before its result has been delivered. */
  async drained(): Promise<void> {
    await this.#ended
  }

  /** No report is delivered after this (the call settled). */
  close(): void {
    this.#settled = true
    this.#local.close()
  }
}

/**
 * The worker's end: forwards a handler's reports, at most one per {@link PROGRESS_INTERVAL_MS}
 * (a handler may report every tree or batch), never dropping the last one. Works while the
 * handler keeps the thread busy: a report due is sent from within the handler's own call.
 */
export class ProgressSender {
  #last = -Infinity
  #pending: Progress | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(readonly port: MessagePort) {}

  readonly report = (progress: Progress): void => {
    this.#pending = { done: progress.done, ...(progress.total !== undefined && { total: progress.total }), ...(progress.message !== undefined && { message: progress.message }) }
    const wait = this.#last + PROGRESS_INTERVAL_MS - performance.now()
    if (wait <= 0) this.#flush()
    else this.#timer ??= setTimeout(() => this.#flush(), wait)
  }

  /** Sends what is pending, then the end of the stream. */
  end(): void {
    this.#flush()
    this.port.postMessage({ end: true } satisfies ProgressEnd)
    this.port.close()
  }

  #flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (!this.#pending) return
    this.port.postMessage(this.#pending)
    this.#pending = undefined
    this.#last = performance.now()
  }
}
