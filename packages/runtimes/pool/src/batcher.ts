import { abortError, type BatchingOptions, type EncodedData, type JsonObject, type ModelTask, type TaskOutcome, type TaskResult } from '@omega/core'
import { kindMetaDigest } from './kind-meta-digest.js'

/** Limits with every field set (the pool's defaults fill what a model or call leaves out). */
export type BatchLimits = Required<BatchingOptions>

/** How the batcher runs a task on the pool; `transfer: false` for tasks whose bytes are a caller's. */
export type SendTask = (task: ModelTask, signal: AbortSignal | undefined, transfer: boolean) => Promise<TaskOutcome>

/** One caller waiting for its rows' results. */
interface Member {
  readonly task: ModelTask
  readonly rows: number
  readonly signal: AbortSignal | undefined
  settled: boolean
  resolve(outcome: TaskOutcome): void
  reject(err: unknown): void
  release(): void
}

/** Callers of one model version, operation, parameters and row shape, waiting to be sent together. */
interface Group {
  readonly key: string
  readonly limits: BatchLimits
  members: Member[]
  rows: number
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined
}

const ROW_OPS = new Set(['predict', 'predictProba', 'transform'])
/** A member without a signal has nothing to release (shared: a closure per waiting caller would keep its batch key alive). */
const NOTHING = (): void => undefined

/**
 * Dynamic batching: concurrent row operations (predict, predictProba, transform) on the same model
 * version, operation, parameters, element type and row width are stacked into one task of up to
 * `maxBatch` rows, sent when the batch is full, after `maxDelayMs`, or (0) at the next turn of the
 * event loop, which gathers every call made meanwhile. The result is split back by rows. A
 * caller's abort or timeout rejects that caller alone; a failed batch (one caller's bad rows, a
 * model that fails on the stack) is re-run call by call, so an error reaches only the caller it
 * belongs to; a model whose outputs do not have one row per input row is never batched again.
 */
export class Batcher {
  readonly #groups = new Map<string, Group>()
  /** Models (sha256 + operation) whose results could not be split by rows. */
  readonly #unsplittable = new Set<string>()
  /** Tasks this batcher has on the pool. */
  #inflight = 0

  constructor(
    readonly send: SendTask,
    readonly defaults: BatchLimits,
    /** Tasks the pool runs at once (its threads): below that, a lone call goes at once. */
    readonly capacity: number,
  ) {}

  /** Queues the task, or returns undefined if it cannot be batched (the caller runs it as usual). */
  run(task: ModelTask, hint: BatchingOptions, signal: AbortSignal | undefined): Promise<TaskOutcome> | undefined {
    const X = task.X
    if (!X || task.Y || X.format !== 'tensor' || !ROW_OPS.has(task.op)) return undefined
    const { dtype, shape } = X.meta as { dtype: string; shape: number[] }
    if (dtype === 'string' || shape.length === 0 || shape[0] === 0) return undefined
    if (this.#unsplittable.size > 0 && this.#unsplittable.has(`${task.model.sha256}\0${task.op}`)) return undefined
    const limits: BatchLimits = {
      maxBatch: hint.maxBatch ?? this.defaults.maxBatch,
      maxDelayMs: hint.maxDelayMs ?? this.defaults.maxDelayMs,
    }
    const rows = shape[0]!
    if (limits.maxBatch <= 1 || rows >= limits.maxBatch) return undefined
    if (limits.maxDelayMs === 0 && this.#inflight < this.capacity && this.#groups.size === 0) {
      // A thread is free and nobody is waiting: no reason to wait for a batch (sequential callers
      // pay nothing, not even a queue entry or a batch key). The pool handles the caller's abort as for any task.
      return this.#sent(task, signal, false)
    }
    const key = `${task.op}\0${task.model.sha256}\0${kindMetaDigest(task.model.kindMeta)}\0${task.params === undefined ? '' : JSON.stringify(task.params)}\0${dtype}\0${shape.length === 2 ? shape[1] : shape.slice(1).join(',')}\0${limits.maxBatch}\0${limits.maxDelayMs}`
    if (limits.maxDelayMs === 0 && this.#inflight < this.capacity && !this.#groups.has(key)) return this.#sent(task, signal, false)
    return new Promise<TaskOutcome>((resolve, reject) => {
      const member: Member = { task, rows, signal, settled: false, resolve, reject, release: NOTHING }
      if (signal) {
        const onAbort = (): void => this.#abort(key, member)
        signal.addEventListener('abort', onAbort, { once: true })
        member.release = () => signal.removeEventListener('abort', onAbort)
      }
      let group = this.#groups.get(key)
      if (!group) {
        group = { key, limits, members: [], rows: 0, timer: undefined }
        this.#groups.set(key, group)
      }
      if (group.rows + rows > limits.maxBatch) this.#flush(group)
      group.members.push(member)
      group.rows += rows
      if (group.rows >= limits.maxBatch) this.#flush(group)
      else if (group.timer === undefined) {
        const g = group
        group.timer = limits.maxDelayMs > 0 ? setTimeout(() => this.#flush(g), limits.maxDelayMs) : setImmediate(() => this.#flush(g))
      }
    })
  }

  /** Sends what a group holds as one task (or the single caller's own task). */
  #flush(group: Group): void {
    if (group.timer !== undefined) {
      clearTimeout(group.timer as NodeJS.Timeout)
      clearImmediate(group.timer as NodeJS.Immediate)
      group.timer = undefined
    }
    const members = group.members.filter((m) => !m.settled)
    group.members = []
    group.rows = 0
    if (this.#groups.get(group.key) === group) this.#groups.delete(group.key)
    if (members.length === 0) return
    if (members.length === 1) return void this.#alone(members[0]!)
    void this.#together(members)
  }

  async #together(members: Member[]): Promise<void> {
    const task = merged(members)
    let outcome: TaskOutcome
    try {
      outcome = await this.#sent(task, undefined, true)
    } catch {
      // The batch's worker failed (one caller's rows may have crashed it): each caller on its own.
      for (const m of members) void this.#alone(m)
      return
    }
    if (!outcome.ok) {
      if ('missingModel' in outcome) for (const m of members) settle(m, outcome)
      else for (const m of members) void this.#alone(m)
      return
    }
    const parts = split(outcome.result, members.map((m) => m.rows))
    if (!parts) {
      this.#unsplittable.add(`${task.model.sha256}\0${task.op}`)
      for (const m of members) void this.#alone(m)
      return
    }
    members.forEach((m, i) => settle(m, { ok: true, result: parts[i]! }))
  }

  async #alone(member: Member): Promise<void> {
    if (member.settled) return
    try {
      settle(member, await this.#sent(member.task, member.signal, false))
    } catch (err) {
      if (member.settled) return
      member.settled = true
      member.release()
      member.reject(err)
    }
  }

  async #sent(task: ModelTask, signal: AbortSignal | undefined, transfer: boolean): Promise<TaskOutcome> {
    this.#inflight++
    try {
      return await this.send(task, signal, transfer)
    } finally {
      this.#inflight--
    }
  }

  #abort(key: string, member: Member): void {
    if (member.settled) return
    member.settled = true
    member.release()
    const group = this.#groups.get(key)
    if (group?.members.includes(member)) {
      group.members = group.members.filter((m) => m !== member)
      group.rows -= member.rows
    }
    member.reject(abortError(member.signal!))
  }
}

function settle(member: Member, outcome: TaskOutcome): void {
  if (member.settled) return
  member.settled = true
  member.release()
  member.resolve(outcome)
}

/** One task whose X stacks every member's rows, in order (model bytes from any member that has them). */
function merged(members: readonly Member[]): ModelTask {
  const first = members[0]!.task
  const meta = first.X!.meta as { dtype: string; shape: number[] }
  const total = members.reduce((n, m) => n + m.rows, 0)
  const bytes = new Uint8Array(members.reduce((n, m) => n + m.task.X!.bytes.byteLength, 0))
  let offset = 0
  for (const m of members) {
    bytes.set(m.task.X!.bytes, offset)
    offset += m.task.X!.bytes.byteLength
  }
  const withParts = members.find((m) => m.task.model.parts)?.task.model ?? first.model
  const X: EncodedData = { format: 'tensor', bytes, meta: { dtype: meta.dtype, shape: [total, ...meta.shape.slice(1)] } }
  return { ...first, model: withParts, X }
}

/** A batch's result cut back into each member's rows; undefined if it does not have one row per input row. */
function split(result: TaskResult, rows: readonly number[]): TaskResult[] | undefined {
  const total = rows.reduce((a, b) => a + b, 0)
  if (result.type === 'tensor') {
    const pieces = splitTensor(result.data, rows, total)
    return pieces && pieces.map((data) => ({ type: 'tensor', data }))
  }
  if (result.type !== 'tensors') return undefined
  const outputs = Object.entries(result.data)
  const cut = outputs.map(([name, data]) => [name, splitTensor(data, rows, total)] as const)
  if (cut.some(([, pieces]) => !pieces)) return undefined
  return rows.map((_, i) => ({ type: 'tensors', data: Object.fromEntries(cut.map(([name, pieces]) => [name, pieces![i]!])) }))
}

function splitTensor(data: EncodedData, rows: readonly number[], total: number): EncodedData[] | undefined {
  const { dtype, shape } = data.meta as { dtype: string; shape: number[] }
  if (data.format !== 'tensor' || shape[0] !== total) return undefined
  const rest = shape.slice(1)
  const width = rest.reduce((a, b) => a * b, 1)
  const meta = (n: number): JsonObject => ({ dtype, shape: [n, ...rest] })
  if (dtype === 'string') {
    const values = JSON.parse(new TextDecoder().decode(data.bytes)) as string[]
    let at = 0
    return rows.map((n) => {
      const piece = values.slice(at * width, (at + n) * width)
      at += n
      return { format: 'tensor', bytes: new TextEncoder().encode(JSON.stringify(piece)), meta: meta(n) }
    })
  }
  const rowBytes = data.bytes.byteLength / total
  if (!Number.isInteger(rowBytes)) return undefined
  let at = 0
  return rows.map((n) => {
    // Views into the batch's buffer: each caller's rows, no copy.
    const piece = data.bytes.subarray(at * rowBytes, (at + n) * rowBytes)
    at += n
    return { format: 'tensor', bytes: piece, meta: meta(n) }
  })
}
