// What a fit records about itself (`attributes.dataset`) and how a refit reads it back.
import { errors } from '../errors.js'
import type { JsonObject, JsonValue } from '../json.js'
import { parseName } from '../names/name-grammar.js'
import { sha256Hex } from '../backend/hashing.js'
import type { PartRef } from '../backend/chunk-digests.js'
import { describeParts } from '../store/commit.js'
import type { Metadata } from '../store/metadata.js'
import type { TaskOperation } from './runtime.js'
import type { ResolvedInput } from './model-proxy.js'
import type { GridsearchOptions } from './gridsearch.js'

/** `attributes.dataset` of a fit: what ran (`op`, `params`) on which dataset versions. */
export function lineage(x: ResolvedInput, y: ResolvedInput | undefined, op: TaskOperation | 'gridsearch', params: JsonObject | undefined): JsonObject {
  const side = (role: 'X' | 'Y', r: ResolvedInput): JsonObject =>
    r.name !== undefined
      ? { [`${role}name`]: r.name, ...(r.version !== undefined && { [`${role}version`]: r.version }), [`${role}sha256`]: r.sha256 ?? null }
      : { [role]: 'inline' }
  return { ...side('X', x), ...(y && side('Y', y)), rows: x.rows, op, ...(params && { params }) }
}

/**
 * A dataset name with its version fixed: `d[^y]` at 3 → `d@3[^y]` (selectors and operations kept).
 * Without a version (a store that has none), the name as it is.
 */
export function atVersion(name: string, version: number | undefined): string {
  if (version === undefined) return name
  const parsed = parseName(name)
  const cut = [...name].findIndex((c) => c === '[' || c === '#')
  return `${parsed.name}@${version}${cut < 0 ? '' : name.slice(cut)}`
}

/** The fit a model version records, for `ModelProxy.refit`. */
export interface RecordedFit {
  readonly op: 'fit' | 'partialFit' | 'gridsearch'
  readonly Xname: string
  readonly Xversion?: number
  readonly Yname?: string
  readonly Yversion?: number
  readonly chunks: boolean
  readonly params?: JsonObject
  /** A gridsearch's search as it ran: grid, folds, seed and scoring (`attributes.gridsearch`). */
  readonly search?: GridsearchOptions
}

/** The fit a model version records, for `ModelProxy.refit`. */
export function recordedFit(meta: Metadata): RecordedFit {
  const d = meta.attributes.dataset as Record<string, unknown> | undefined
  const at = `${meta.name}@${meta.version}`
  if (!d || typeof meta.parent !== 'number') throw errors.invalidArgument(`cannot refit "${at}": it records no fit (it was put, not fitted); refit a version made by fit`, { name: meta.name })
  if (typeof d.Xname !== 'string' || ('Y' in d && typeof d.Yname !== 'string')) {
    throw errors.invalidArgument(`cannot refit "${at}": it was fitted on inline data, which is not stored; fit on stored datasets to make a fit repeatable`, { name: meta.name })
  }
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined)
  const params = d.params && typeof d.params === 'object' && !Array.isArray(d.params) ? (d.params as JsonObject) : undefined
  const search = d.op === 'gridsearch' || meta.attributes.gridsearch !== undefined ? recordedSearch(meta, at) : undefined
  return {
    op: search ? 'gridsearch' : d.op === 'partialFit' ? 'partialFit' : 'fit',
    ...(search && { search }),
    Xname: d.Xname,
    ...(num(d.Xversion) !== undefined && { Xversion: num(d.Xversion)! }),
    ...(typeof d.Yname === 'string' && { Yname: d.Yname }),
    ...(num(d.Yversion) !== undefined && { Yversion: num(d.Yversion)! }),
    chunks: d.chunks !== undefined,
    ...(params && { params }),
  }
}

/**
 * The search a gridsearch version ran, from `attributes.gridsearch`: the folds come from the
 * recorded row count, `cv` and `seed`, combinations are tried in the recorded order and ties keep
 * the first, so re-running it on the same dataset versions picks the same best params.
 */
function recordedSearch(meta: Metadata, at: string): GridsearchOptions {
  const g = meta.attributes.gridsearch as Record<string, unknown> | undefined
  const grid = g?.params
  if (!g || !grid || typeof grid !== 'object' || Array.isArray(grid) || typeof g.cv !== 'number') {
    throw errors.unsupported(`cannot refit "${at}": its gridsearch record (attributes.gridsearch) lacks the grid or the folds`)
  }
  return {
    params: grid as Record<string, JsonValue[]>,
    cv: g.cv,
    ...(typeof g.seed === 'number' && { seed: g.seed }),
    ...(typeof g.scoring === 'string' && g.scoring !== 'model.score' && { scoring: g.scoring }),
  }
}

/** True if `parts`, once stored, have the address `sha256` (the same bytes: the same model). */
export function sameModel(parts: Readonly<Record<string, Uint8Array>>, sha256: string): boolean {
  const refs: Record<string, PartRef> = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, { sha256: sha256Hex(v), size: v.byteLength }]))
  return describeParts(refs).sha256 === sha256
}

/** `'*'`: the dataset the last fit recorded for `role`, at its recorded version. */
export function starName(meta: Metadata, ref: string, role: 'X' | 'Y'): string {
  if (ref !== '*') return ref
  const recorded = meta.attributes.dataset as Record<string, unknown> | undefined
  const linked = recorded?.[`${role}name`]
  if (typeof linked !== 'string') {
    throw errors.invalidArgument(`"*" uses the datasets of the last fit, but "${meta.name}@${meta.version}" has no ${role} dataset recorded`)
  }
  const version = recorded?.[`${role}version`]
  return atVersion(linked, typeof version === 'number' ? version : undefined)
}

/** A name that reads a dataset chunk by chunk (`name#iterchunks:chunksize=N`). */
export function isChunked(ref: unknown): boolean {
  return typeof ref === 'string' && ref !== '*' && parseName(ref).operation?.op === 'iterchunks'
}
