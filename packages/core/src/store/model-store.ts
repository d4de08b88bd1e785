import type { JsonObject } from '../json.js'
import { walkLineage, type LineageStep } from './lineage.js'
import type { ParsedName } from '../names/name-grammar.js'
import { errors, type OmegaError } from '../errors.js'
import { commit, storedArtifacts } from './commit.js'
import type { Metadata } from './metadata.js'
import type { GetOptions } from './object-store.js'
import { VersionedStore, type VersionedPutOptions } from './versioned-store.js'

export type { LineageStep } from './lineage.js'
export type { Revision } from './versioned-store.js'

/** Options of `om.models.put`. */
export type ModelPutOptions = VersionedPutOptions

/**
 * `om.models`: every put is a new immutable version 1, 2, 3 … of the name (the version machinery
 * is {@link VersionedStore}, shared with `om.datasets`); adds typed `get`, `lineage`, and the
 * commit path of the runtime.
 */
export class ModelStore extends VersionedStore {
  protected readonly noun = 'model'

  /**
   * Stores the model as a new version and returns its metadata. Attributes are copied forward from
   * the previous version (except per-version provenance) and merged with `options.attributes`.
   * `replace: true` drops every earlier version first.
   */
  override async put(model: unknown, name: string, options: ModelPutOptions = {}): Promise<Metadata> {
    if (options.replace === true && (await this.exists(name))) await this.drop(name)
    return await super.put(model, name, options)
  }

  /**
   * Returns the version `nameRef` addresses (`name`, `name@3`, `name@production`, `name^`), rebuilt
   * by its handler: an ml.js model, an instance of a registered estimator class, an `OnnxModel`…
   * Which one depends on what was stored, so the result is `unknown` unless you name the type you
   * stored: `om.models.get<RandomForestClassifier>('iris-rf')`. The type argument is not checked
   * at run time; check with `instanceof` where the name may hold another kind of model.
   *
   * @typeParam M - the model type stored under the name (default `unknown`)
   * @throws {OmegaError} E_NOT_FOUND if there is no such model, version or tag
   */
  override async get<M = unknown>(nameRef: string, options: GetOptions = {}): Promise<M> {
    return (await super.get(nameRef, options)) as M
  }

  /**
   * Walks a version's history, newest first: `promotedFrom` into other buckets of this store and
   * `parent` within a name, back to the first version (or to a step in another store, or a dropped
   * version, which end the walk).
   */
  async lineage(nameRef: string, options: { readonly maxSteps?: number } = {}): Promise<LineageStep[]> {
    return await walkLineage(this, nameRef, options.maxSteps ?? 1000)
  }

  /** This store's models in another bucket of the same store. */
  inBucket(bucket: string): ModelStore {
    return bucket === this.bucket ? this : new ModelStore({ ...this.ctx, bucket }, this.store, this.prefix)
  }

  /** A version's parts, read and verified, for runtimes that ship them to a worker. */
  async parts(meta: Metadata, signal?: AbortSignal): Promise<Record<string, Uint8Array>> {
    const stored = storedArtifacts(this.ctx.backend, meta, signal)
    const out: Record<string, Uint8Array> = {}
    for (const part of stored.partNames) out[part] = await stored.bytes(part)
    return out
  }

  /**
   * Stores artifacts a runtime produced (a fitted model) as a new version with the given parent
   * and attributes (merged over those copied forward).
   */
  async commitArtifacts(
    name: string,
    kind: string,
    artifacts: { kindMeta: JsonObject; parts: Readonly<Record<string, Uint8Array>> },
    options: { parent: number | null; attributes?: JsonObject; signal?: AbortSignal },
  ): Promise<Metadata> {
    const doc = await commit(this.ctx.backend, { kindMeta: artifacts.kindMeta, parts: artifacts.parts }, options.signal, (written) =>
      this.publishVersion(name, kind, artifacts.kindMeta, written, { attributes: options.attributes, parent: options.parent, signal: options.signal }),
    )
    return await this.afterPublish(doc)
  }

  protected override notFound(parsed: ParsedName): OmegaError {
    return errors.notFound('model', parsed.name, this.bucket, 'list models with om.models.list()')
  }
}
