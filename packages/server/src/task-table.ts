import { randomUUID } from 'node:crypto'
import { OmegaError } from '@omega/core'
import { HttpError, toErrorResponse, type ErrorBody } from './http-errors.js'

/** The state of an async task. */
export type TaskStatus = 'pending' | 'success' | 'failure'

/** What `GET /api/v1/task/<id>/result` returns. */
export interface TaskView {
  readonly taskId: string
  readonly status: TaskStatus
  readonly result?: unknown
  readonly error?: ErrorBody & { readonly status: number }
}

interface Task {
  status: TaskStatus
  result?: unknown
  error?: ErrorBody & { status: number }
  readonly owner: string | undefined
  finishedAt?: number
}

/**
 * In-memory table of `?async=true` calls. Bounded: at most `maxTasks` entries; a finished task is
 * kept `ttlMs` after it ends; when full, the oldest finished task is evicted, and if every entry is
 * still pending the new call is refused (409 `E_CONFLICT`). Tasks live in this process only: a
 * restart forgets them.
 */
export class TaskTable {
  readonly #tasks = new Map<string, Task>()

  constructor(
    private readonly maxTasks: number,
    private readonly ttlMs: number,
    private readonly bodyLimit: number,
  ) {}

  /** Starts `work` and returns the task id at once. */
  start(owner: string | undefined, work: () => Promise<unknown>): string {
    this.#sweep()
    if (this.#tasks.size >= this.maxTasks) {
      throw new OmegaError('E_CONFLICT', `${this.maxTasks} async tasks are pending; retry when some have finished`)
    }
    const id = randomUUID()
    const task: Task = { status: 'pending', owner }
    this.#tasks.set(id, task)
    work().then(
      (result) => Object.assign(task, { status: 'success', result, finishedAt: Date.now() }),
      (err: unknown) => {
        const { status, body } = toErrorResponse(err, this.bodyLimit)
        Object.assign(task, { status: 'failure', error: { ...body, status }, finishedAt: Date.now() })
      },
    )
    return id
  }

  /** The task as the owner sees it; another key's task or an unknown id is 404. */
  view(id: string, owner: string | undefined, withResult: boolean): TaskView {
    this.#sweep()
    const task = this.#tasks.get(id)
    if (!task || task.owner !== owner) throw new HttpError(404, 'E_NOT_FOUND', `task "${id}" not found (finished tasks are kept ${Math.round(this.ttlMs / 1000)} s)`)
    return {
      taskId: id,
      status: task.status,
      ...(withResult && task.status === 'success' && { result: task.result }),
      ...(task.error && { error: task.error }),
    }
  }

  #sweep(): void {
    const now = Date.now()
    for (const [id, task] of this.#tasks) {
      if (task.finishedAt !== undefined && now - task.finishedAt > this.ttlMs) this.#tasks.delete(id)
    }
    // Map order is insertion order: the first finished entries are the oldest.
    for (const [id, task] of this.#tasks) {
      if (this.#tasks.size < this.maxTasks) break
      if (task.finishedAt !== undefined) this.#tasks.delete(id)
    }
  }
}
