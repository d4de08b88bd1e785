// size: versions, tags, drops and the runtime commit path share the private key and head helpers; splitting them would expose those.
import { OmegaError, errors } from '../errors.js'
import { mergeAttributes, type JsonObject } from '../json.js'
import { walkLineage, type LineageStep } from './lineage.js'
import { formatRef, isValidTag, parseName, type ParsedName } from '../names/name-grammar.js'
import { validateName } from '../names/validate-name.js'
import type { StoredDoc } from '../backend/storage-backend.js'
import { commit, storedArtifacts, type WrittenParts } from './commit.js'
import { metadataToJson, type Metadata, type MetadataDoc } from './metadata.js'
import { ObjectStore, type GetOptions, type PutOptions } from './object-store.js'
import { CAS_RETRIES, backoff, objectKey } from './store-context.js'

/** Options of `om.models.put`. */
export type { LineageStep } from './lineage.js'

/** Options of `om.models.put`. */
export interface ModelPutOptions extends PutOptions {
  /** Tag the new version (moves the tag if it points elsewhere). */
  readonly tag?: string
  /** The version this one derives from; defaults to the latest version. @internal used by fit */
  readonly parent?: number | null
}

/** One entry of `revisions(name)`. */
export interface Revision {
  readonly version: number
  readonly tags: string[]
  readonly sha256: string
  readonly createdAt: string
  readonly parent: number | null
  readonly attributes: JsonObject
}

/** Attributes that describe one version's provenance and are therefore not copied to the next put. */
const PER_VERSION_ATTRIBUTES = ['promotedFrom', 'dataset', 'gridsearch', 'metrics', 'features'] as const
const VERSION_DIGITS = 10

interface Tombstone {
  dropped: true
  version: number
}

type VersionDoc = MetadataDoc & { version: number }

interface Head {
  readonly newest: number
  readonly latest: VersionDoc | undefined
  /** Key of a version document newer than `latest` that cannot be parsed. */
  readonly unreadable?: string
}

/**
 * `om.models`: every put is a new immutable version 1, 2, 3 … of the name. Each version is its own
 * document `bucket/models/<name>/@<version>`, created with compare-and-set "only if absent", so two
 * concurrent puts always get two distinct versions. Tags live in `bucket/models/<name>/#tags`. A
 * dropped version leaves a tombstone so its number is never reused (lineage stays unambiguous).
 */
export class ModelStore extends ObjectStore {
  /**
   * Stores the model as a new version and returns its metadata. Attributes are copied forward from
   * the previous version (except per-version provenance) and merged with `options.attributes`.
   */
  override async put(model: unknown, name: string, options: ModelPutOptions = {}): Promise<Metadata> {
    validateName(name)
    if (options.tag !== undefined) checkTag(options.tag)
    if (options.replace === true && (await this.exists(name))) await this.drop(name)
    const head = await this.#head(name)
    const handler = this.ctx.handlers.select('models', model, { kind: options.kind, existingKind: head.latest?.kind })
    const artifacts = await handler.serialize(model, this.handlerContext(name, options))
    const doc = await commit(this.ctx.backend, artifacts, options.signal, (written) =>
      this.#publish(name, handler.kind, artifacts.kindMeta, written, { attributes: options.attributes, parent: options.parent, head }),
    )
    // A new version carries no tag but the one this put sets.
    if (options.tag === undefined) return { ...this.present(doc), tags: [] }
    await this.#setTag(name, options.tag, doc.version)
    return await this.presentOne(doc)
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
   * Points `tag` at the version `nameRef` resolves to (`name@3`, `name@latest`, `name^`), moving it
   * if it pointed elsewhere. Tags that are all digits or `latest` are refused.
   */
  async tag(nameRef: string, tag: string): Promise<Metadata> {
    checkTag(tag)
    const parsed = parseName(nameRef)
    const doc = await this.resolve(parsed)
    if (!doc) throw this.notFound(parsed)
    await this.#setTag(doc.name, tag, doc.version!)
    return await this.presentOne(doc)
  }

  /** Removes a tag; E_NOT_FOUND if the model has no such tag. */
  async untag(name: string, tag: string): Promise<boolean> {
    validateName(name)
    const changed = await this.#updateTags(name, (tags) => {
      if (!tags.delete(tag)) throw errors.notFound(`tag "${tag}" of model`, name, this.bucket)
    })
    return changed
  }

  /** Every live version of the model, oldest first. */
  async revisions(name: string): Promise<Revision[]> {
    validateName(name)
    const versions = await this.#versions(name)
    if (versions.length === 0) throw errors.notFound('model', name, this.bucket)
    const tags = await this.#tags(name)
    return versions.map((d) => ({
      version: d.version,
      tags: tagsOf(tags, d.version),
      sha256: d.sha256,
      createdAt: d.createdAt,
      parent: d.parent ?? null,
      attributes: d.attributes,
    }))
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

  /**
   * The metadata of the version a name addresses, for runtimes.
   *
   * @throws {OmegaError} E_NOT_FOUND (naming how many versions exist for a missing version)
   */
  async version(nameRef: string): Promise<Metadata> {
    const parsed = parseName(nameRef)
    const doc = await this.resolve(parsed)
    if (!doc) throw this.notFound(parsed)
    return this.present(doc)
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
      this.#publish(name, kind, artifacts.kindMeta, written, { attributes: options.attributes, parent: options.parent, signal: options.signal }),
    )
    return { ...this.present(doc), tags: [] }
  }

  protected override key(name: string): string {
    return objectKey(this.bucket, this.prefix, name)
  }

  #versionKey(name: string, version: number): string {
    return `${this.key(name)}/@${String(version).padStart(VERSION_DIGITS, '0')}`
  }

  #tagsKey(name: string): string {
    return `${this.key(name)}/#tags`
  }

  protected override async resolve(parsed: ParsedName): Promise<MetadataDoc | undefined> {
    const { name, ref } = parsed
    let doc: VersionDoc | undefined
    if (!ref || ref.type === 'latest') {
      doc = await this.#latest(name)
      if (!doc) return undefined
    } else if (ref.type === 'version') {
      const stored = (await this.ctx.backend.meta.get(this.#versionKey(name, ref.version)))?.doc
      if (!stored || isTombstone(stored)) throw await this.#missingVersion(name, `version ${ref.version}`, parsed)
      doc = stored as unknown as VersionDoc
    } else {
      const version = (await this.#tags(name)).get(ref.tag)
      if (version === undefined) {
        if (!(await this.#latest(name))) return undefined
        throw errors.notFound(`tag "${ref.tag}" of model`, name, this.bucket, 'tag a version with om.models.tag(name@version, tag)')
      }
      doc = (await this.ctx.backend.meta.get(this.#versionKey(name, version)))?.doc as unknown as VersionDoc | undefined
      if (!doc || isTombstone(doc)) throw errors.notFound(`tagged version ${version} of model`, name, this.bucket)
    }
    if (parsed.back === 0) return doc
    const versions = await this.#versions(name)
    const index = versions.findIndex((v) => v.version === doc.version) - parsed.back
    if (index < 0) throw await this.#missingVersion(name, `${parsed.back} version(s) before ${formatRef(name, ref)}`, parsed)
    return versions[index]
  }

  protected override async all(namePrefix = ''): Promise<MetadataDoc[]> {
    const latest = new Map<string, VersionDoc>()
    for await (const { doc } of this.ctx.backend.meta.list(objectKey(this.bucket, this.prefix, namePrefix))) {
      if (isTombstone(doc) || typeof doc.version !== 'number') continue
      const v = doc as unknown as VersionDoc
      const prev = latest.get(v.name)
      if (!prev || prev.version < v.version) latest.set(v.name, v)
    }
    return [...latest.values()]
  }

  protected override async remove(parsed: ParsedName): Promise<MetadataDoc[]> {
    if (parsed.ref === undefined && parsed.back === 0) return await this.#removeAll(parsed.name)
    const doc = (await this.tryResolve(parsed)) as unknown as VersionDoc | undefined
    if (!doc) return []
    const key = this.#versionKey(doc.name, doc.version)
    const current = await this.ctx.backend.meta.get(key)
    if (!current || isTombstone(current.doc)) return []
    this.ctx.heads.invalidate(this.key(doc.name))
    const tombstone: Tombstone = { dropped: true, version: doc.version }
    await this.ctx.backend.meta.put(key, { ...tombstone, droppedAt: new Date().toISOString() }, { ifRevision: current.revision })
    await this.#updateTags(doc.name, (tags) => {
      for (const [t, v] of tags) if (v === doc.version) tags.delete(t)
    })
    return [current.doc as unknown as MetadataDoc]
  }

  protected override async adopt(name: string, source: MetadataDoc, artifacts: { kindMeta: JsonObject; parts: Record<string, AsyncIterable<Uint8Array>> }, attributes: JsonObject): Promise<Metadata> {
    const doc = await commit(this.ctx.backend, artifacts, undefined, (written) =>
      this.#publish(name, source.kind, artifacts.kindMeta, written, { attributes }),
    )
    return await this.presentOne(doc)
  }

  protected override async presentOne(meta: MetadataDoc): Promise<Metadata> {
    const tags = await this.#tags(meta.name)
    return { ...this.present(meta), tags: tagsOf(tags, meta.version!) }
  }

  protected override notFound(parsed: ParsedName): OmegaError {
    return errors.notFound('model', parsed.name, this.bucket, 'list models with om.models.list()')
  }

  /**
   * Creates version `newest + 1` with compare-and-set "only if absent"; when another put wins that
   * number, reads the head again and takes the next one. `head` is the caller's first read, if any.
   */
  async #publish(
    name: string,
    kind: string,
    kindMeta: JsonObject,
    written: WrittenParts,
    options: { attributes?: JsonObject | undefined; parent?: number | null | undefined; head?: Head; signal?: AbortSignal | undefined },
  ): Promise<VersionDoc> {
    let head = options.head ?? (await this.#head(name))
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw errors.aborted(options.signal.reason)
      const inherited = { ...(head.latest?.attributes ?? {}) }
      for (const k of PER_VERSION_ATTRIBUTES) delete inherited[k]
      const doc: VersionDoc = {
        ...this.buildDoc(name, kind, kindMeta, written, undefined, undefined),
        attributes: mergeAttributes(inherited, options.attributes),
        version: head.newest + 1,
        parent: options.parent === undefined ? (head.latest?.version ?? null) : options.parent,
      }
      try {
        await this.ctx.backend.meta.put(this.#versionKey(name, doc.version), metadataToJson(doc), { ifRevision: null })
        // Any lookup that started before this write stored nothing (generation check) and later ones see it.
        this.ctx.heads.invalidate(this.key(name))
        return doc
      } catch (err) {
        if (!OmegaError.is(err, 'E_CONFLICT') || attempt >= CAS_RETRIES) throw err
        await backoff(attempt)
        head = await this.#head(name)
      }
    }
  }

  /**
   * One reverse scan: the highest version number (tombstones and unreadable documents included, so
   * numbers are never reused) and the latest live version; `unreadable` names a newer version
   * document that cannot be parsed (then the latest version is that one, and reading it fails).
   */
  async #head(name: string): Promise<Head> {
    let newest: number | undefined
    let unreadable: string | undefined
    for await (const entry of this.ctx.backend.meta.list(`${this.key(name)}/@`, { reverse: true, includeUnreadable: true })) {
      if (entry.unreadable !== undefined) {
        newest ??= Number(entry.key.slice(entry.key.lastIndexOf('/@') + 2)) || undefined
        unreadable ??= entry.key
        continue
      }
      newest ??= entry.doc.version as number
      if (!isTombstone(entry.doc)) return { newest, latest: entry.doc as unknown as VersionDoc, ...(unreadable !== undefined && { unreadable }) }
    }
    return { newest: newest ?? 0, latest: undefined, ...(unreadable !== undefined && { unreadable }) }
  }

  async #latest(name: string): Promise<VersionDoc | undefined> {
    // Where another process could add a version, always ask the store.
    const cacheable = !this.ctx.backend.supports.multiProcess
    const key = this.key(name)
    if (cacheable) {
      const hit = this.ctx.heads.get(key) as VersionDoc | undefined
      if (hit) return hit
    }
    const generation = this.ctx.heads.generation(key)
    const { latest, unreadable } = await this.#head(name)
    if (unreadable !== undefined) {
      const err = errors.unreadableDocument(unreadable, 'its latest version document cannot be parsed')
      throw new OmegaError('E_INTEGRITY', `model "${name}" in bucket "${this.bucket}": ${err.message}`, { details: { name, bucket: this.bucket, key: unreadable } })
    }
    if (cacheable && latest) this.ctx.heads.set(key, generation, latest)
    return latest
  }

  async #versions(name: string): Promise<VersionDoc[]> {
    const out: VersionDoc[] = []
    for await (const { doc } of this.ctx.backend.meta.list(`${this.key(name)}/@`)) {
      if (!isTombstone(doc)) out.push(doc as unknown as VersionDoc)
    }
    return out
  }

  async #tags(name: string): Promise<Map<string, number>> {
    return tagMap((await this.ctx.backend.meta.get(this.#tagsKey(name)))?.doc)
  }

  async #setTag(name: string, tag: string, version: number): Promise<void> {
    await this.#updateTags(name, (tags) => {
      tags.set(tag, version)
    })
  }

  /** Read-modify-write of the tags document with compare-and-set; true if it changed. */
  async #updateTags(name: string, update: (tags: Map<string, number>) => void): Promise<boolean> {
    const key = this.#tagsKey(name)
    for (let attempt = 0; ; attempt++) {
      const current: StoredDoc | undefined = await this.ctx.backend.meta.get(key)
      const tags = tagMap(current?.doc)
      const before = JSON.stringify([...tags])
      update(tags)
      if (JSON.stringify([...tags]) === before) return false
      try {
        // fromEntries defines own keys: a tag named "__proto__" is stored like any other.
        await this.ctx.backend.meta.put(key, { tags: Object.fromEntries(tags) }, { ifRevision: current?.revision ?? null })
        return true
      } catch (err) {
        if (!OmegaError.is(err, 'E_CONFLICT') || attempt >= CAS_RETRIES) throw err
        await backoff(attempt)
      }
    }
  }

  async #removeAll(name: string): Promise<MetadataDoc[]> {
    this.ctx.heads.invalidate(this.key(name))
    const removed: MetadataDoc[] = []
    const docs: StoredDoc[] = []
    for await (const d of this.ctx.backend.meta.list(`${this.key(name)}/@`)) docs.push(d)
    const tags = await this.ctx.backend.meta.get(this.#tagsKey(name))
    if (tags) docs.push(tags)
    for (const d of docs) {
      try {
        await this.ctx.backend.meta.delete(d.key, { ifRevision: d.revision })
      } catch (err) {
        if (!OmegaError.is(err, 'E_NOT_FOUND')) throw err
        continue
      }
      if (!isTombstone(d.doc) && typeof d.doc.version === 'number') removed.push(d.doc as unknown as MetadataDoc)
    }
    this.ctx.heads.invalidate(this.key(name))
    return removed
  }

  async #missingVersion(name: string, what: string, parsed: ParsedName): Promise<OmegaError> {
    const versions = (await this.#versions(name)).map((v) => v.version)
    if (versions.length === 0) return this.notFound(parsed)
    const range = versions.length === 1 ? `version ${versions[0]}` : `versions ${versions.join(', ')}`
    return new OmegaError(
      'E_NOT_FOUND',
      `model "${parsed.raw}" not found in bucket "${this.bucket}": no ${what}; ${versions.length} version(s) exist (${range})`,
      { details: { name, bucket: this.bucket, versions } },
    )
  }
}

function checkTag(tag: string): void {
  if (typeof tag !== 'string' || !isValidTag(tag)) {
    throw errors.invalidArgument(
      `tag ${JSON.stringify(tag)} is not valid: use letters, digits, "_", "." or "-", not all digits (that would shadow a version number) and not "latest"`,
      { tag: String(tag) },
    )
  }
}

function isTombstone(doc: object): boolean {
  return (doc as { dropped?: unknown }).dropped === true
}

function tagsOf(tags: ReadonlyMap<string, number>, version: number): string[] {
  return [...tags].filter(([, v]) => v === version).map(([t]) => t).sort()
}

/**
 * The tags document as a Map of its own keys: tags are user-named, so `constructor` or
 * `__proto__` must never reach Object.prototype.
 */
function tagMap(doc: JsonObject | undefined): Map<string, number> {
  const tags = new Map<string, number>()
  const stored = doc?.tags
  if (stored && typeof stored === 'object' && !Array.isArray(stored)) {
    for (const [t, v] of Object.entries(stored)) if (typeof v === 'number') tags.set(t, v)
  }
  return tags
}
