// size: versions, tags, drops, retention and legacy documents share the private key and head helpers; splitting them would expose those.
import { OmegaError, errors, throwIfAborted } from '../errors.js'
import { mergeAttributes, type JsonObject } from '../json.js'
import { formatRef, isValidTag, parseName, type ParsedName } from '../names/name-grammar.js'
import { validateName } from '../names/validate-name.js'
import type { StoredDoc } from '../backend/storage-backend.js'
import { commit, pinsOf, type WrittenParts } from './commit.js'
import { pin } from './blob-refs.js'
import { metadataToJson, type Metadata, type MetadataDoc } from './metadata.js'
import { ObjectStore, alreadyExists, checkAttributes, type PutOptions } from './object-store.js'
import { CAS_RETRIES, backoff, objectKey } from './store-context.js'

/** Options of `put` on a versioned store (`om.models`, `om.datasets`). */
export interface VersionedPutOptions extends PutOptions {
  /** Tag the new version (moves the tag if it points elsewhere). */
  readonly tag?: string
  /**
   * Retention: keep the newest N versions (tagged versions are always kept); older ones are dropped
   * like `drop('name@v')`, so bytes no kept version shares are freed. Recorded as `attributes.keep`,
   * so later puts keep applying it. A positive integer.
   */
  readonly keep?: number
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

export type VersionDoc = MetadataDoc & { version: number }

/** The newest version number ever used and the latest live version of a name. */
export interface Head {
  readonly newest: number
  readonly latest: VersionDoc | undefined
  /** Key of a version document newer than `latest` that cannot be parsed. */
  readonly unreadable?: string
}

/** How {@link VersionedStore.publishVersion} numbers the new version. */
export interface PublishOptions {
  readonly attributes?: JsonObject | undefined
  readonly parent?: number | null | undefined
  readonly head?: Head
  readonly signal?: AbortSignal | undefined
  /** Publish exactly `head.newest + 1` or throw E_CONFLICT (appends, whose content depends on the head). */
  readonly exact?: boolean
}

/**
 * The one implementation of versions, shared by `om.models` and `om.datasets`: every put is a new
 * immutable version 1, 2, 3 … of the name. Each version is its own document
 * `bucket/<prefix><name>/@<version>`, created with compare-and-set "only if absent", so two
 * concurrent puts always get two distinct versions. Tags live in `bucket/<prefix><name>/#tags`. A
 * dropped version leaves a tombstone so its number is never reused (lineage stays unambiguous).
 *
 * Each version document pins every blob it references with its own holder (blob-refs.ts), also
 * the blobs it shares with earlier versions: dropping any one version frees exactly the bytes no
 * other version holds.
 *
 * A document written before versions existed (`bucket/<prefix><name>`, no `version`) reads as
 * version 1; the next put creates version 2 and leaves it in place.
 */
export abstract class VersionedStore extends ObjectStore {
  /** `model` or `dataset`, for messages. */
  protected abstract readonly noun: string

  /**
   * Stores the value as a new version and returns its metadata. Attributes are copied forward from
   * the previous version (except per-version provenance) and merged with `options.attributes`.
   */
  override async put(value: unknown, name: string, options: VersionedPutOptions = {}): Promise<Metadata> {
    validateName(name)
    if (options.tag !== undefined) checkTag(options.tag)
    const attributes = keepAttributes(options)
    const head = await this.head(name)
    if (options.replace === false && head.latest) throw alreadyExists(name, this.bucket)
    const handler = this.ctx.handlers.select(this.store, value, { kind: options.kind, existingKind: head.latest?.kind })
    const artifacts = await handler.serialize(value, this.handlerContext(name, options))
    const doc = await commit(this.ctx.backend, artifacts, options.signal, (written) =>
      this.publishVersion(name, handler.kind, artifacts.kindMeta, written, { attributes, parent: options.parent, head, signal: options.signal }),
    )
    return await this.afterPublish(doc, options.tag)
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

  /** Removes a tag; E_NOT_FOUND if the name has no such tag. */
  async untag(name: string, tag: string): Promise<boolean> {
    validateName(name)
    return await this.#updateTags(name, (tags) => {
      if (!tags.delete(tag)) throw errors.notFound(`tag "${tag}" of ${this.noun}`, name, this.bucket)
    })
  }

  /** Every live version of the name, oldest first. */
  async revisions(name: string): Promise<Revision[]> {
    validateName(name)
    const versions = await this.versions(name)
    if (versions.length === 0) throw errors.notFound(this.noun, name, this.bucket)
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
   * The metadata of the version a name addresses.
   *
   * @throws {OmegaError} E_NOT_FOUND (naming how many versions exist for a missing version)
   */
  async version(nameRef: string): Promise<Metadata> {
    const parsed = parseName(nameRef)
    const doc = await this.resolve(parsed)
    if (!doc) throw this.notFound(parsed)
    return this.present(doc)
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
      doc = await this.#versionDoc(name, ref.version)
      if (!doc) throw await this.#missingVersion(name, `version ${ref.version}`, parsed)
    } else {
      const version = (await this.#tags(name)).get(ref.tag)
      if (version === undefined) {
        if (!(await this.#latest(name))) return undefined
        throw errors.notFound(`tag "${ref.tag}" of ${this.noun}`, name, this.bucket, `tag a version with om.${this.store}.tag(name@version, tag)`)
      }
      doc = await this.#versionDoc(name, version)
      if (!doc) throw errors.notFound(`tagged version ${version} of ${this.noun}`, name, this.bucket)
    }
    if (parsed.back === 0) return doc
    const versions = await this.versions(name)
    const index = versions.findIndex((v) => v.version === doc.version) - parsed.back
    if (index < 0) throw await this.#missingVersion(name, `${parsed.back} version(s) before ${formatRef(name, ref)}`, parsed)
    return versions[index]
  }

  protected override async all(namePrefix = ''): Promise<MetadataDoc[]> {
    const latest = new Map<string, VersionDoc>()
    for await (const { key, doc } of this.ctx.backend.meta.list(objectKey(this.bucket, this.prefix, namePrefix))) {
      const v = typeof doc.version === 'number' ? (doc as unknown as VersionDoc) : this.#asLegacy(key, doc)
      if (!v || isTombstone(doc)) continue
      const prev = latest.get(v.name)
      if (!prev || prev.version < v.version) latest.set(v.name, v)
    }
    return [...latest.values()]
  }

  protected override async remove(parsed: ParsedName): Promise<MetadataDoc[]> {
    if (parsed.ref === undefined && parsed.back === 0) return await this.#removeAll(parsed.name)
    const doc = (await this.tryResolve(parsed)) as VersionDoc | undefined
    if (!doc) return []
    const key = this.#versionKey(doc.name, doc.version)
    const current = await this.ctx.backend.meta.get(key)
    const legacy = !current && doc.version === 1 ? await this.#legacy(doc.name) : undefined
    if (!legacy && (!current || isTombstone(current.doc))) return []
    this.ctx.heads.invalidate(this.key(doc.name))
    const tombstone = { dropped: true, version: doc.version, droppedAt: new Date().toISOString() }
    if (legacy) {
      // The number stays taken: a tombstone first, then the pre-versions document goes.
      await this.ctx.backend.meta.put(key, tombstone, { ifRevision: null })
      await this.ctx.backend.meta.delete(legacy.key, { ifRevision: legacy.revision })
    } else {
      await this.ctx.backend.meta.put(key, tombstone, { ifRevision: current!.revision })
    }
    this.ctx.heads.invalidate(this.key(doc.name))
    await this.#updateTags(doc.name, (tags) => {
      for (const [t, v] of tags) if (v === doc.version) tags.delete(t)
    })
    // Versions share parts with the same holder (an append lists its base's parts and holders):
    // release only the holders no live version still lists. Read after the tombstone, so of two
    // concurrent drops at least one sees the other's tombstone and releases what they shared.
    const dropped = (legacy?.doc ?? current!.doc) as unknown as MetadataDoc
    const held = new Set<string>()
    for (const v of await this.versions(doc.name)) for (const [sha, holder] of Object.entries(pinsOf(v))) held.add(`${sha} ${holder}`)
    const pins = Object.fromEntries(Object.entries(pinsOf(dropped)).filter(([sha, holder]) => !held.has(`${sha} ${holder}`)))
    return [{ ...dropped, pins } as MetadataDoc]
  }

  /**
   * After an append published `doc` on `base`: if `base` was dropped meanwhile, its drop may have
   * released holders `doc` shares. Restores them (a pin is idempotent); if bytes are already gone,
   * `doc` is dropped again and the append fails with E_CONFLICT (nothing else refers to it yet
   * but a reader in that instant).
   */
  protected async checkBase(doc: VersionDoc, base: VersionDoc): Promise<void> {
    if (await this.#versionDoc(base.name, base.version)) return
    const shared = Object.entries(pinsOf(base)).filter(([sha, holder]) => pinsOf(doc)[sha] === holder)
    let lost = false
    for (const [sha, holder] of shared) {
      await pin(this.ctx.backend, sha, holder)
      if (!(await this.ctx.backend.blobs.has(sha))) lost = true
    }
    if (!lost) return
    await this.drop(`${doc.name}@${doc.version}`, { force: true })
    throw new OmegaError('E_CONFLICT', `${this.noun} "${doc.name}@${base.version}" was dropped while an append built on it; nothing was appended, put the full data again`, {
      details: { name: doc.name, version: base.version },
      transient: false,
    })
  }

  protected override async adopt(name: string, source: MetadataDoc, artifacts: { kindMeta: JsonObject; parts: Record<string, AsyncIterable<Uint8Array>> }, attributes: JsonObject): Promise<Metadata> {
    const doc = await commit(this.ctx.backend, artifacts, undefined, (written) => this.publishVersion(name, source.kind, artifacts.kindMeta, written, { attributes }))
    return await this.afterPublish(doc)
  }

  protected override async presentOne(meta: MetadataDoc): Promise<Metadata> {
    const tags = await this.#tags(meta.name)
    return { ...this.present(meta), tags: tagsOf(tags, meta.version!) }
  }

  /**
   * After a version is published: sets `tag`, applies retention (`attributes.keep`), and returns
   * the version's metadata with its tags.
   */
  protected async afterPublish(doc: VersionDoc, tag?: string): Promise<Metadata> {
    if (tag !== undefined) await this.#setTag(doc.name, tag, doc.version)
    const keep = doc.attributes.keep
    if (typeof keep === 'number' && Number.isInteger(keep) && keep > 0) await this.#retain(doc.name, keep)
    // A new version carries no tag but the one this put sets.
    return { ...this.present(doc), tags: tag === undefined ? [] : [tag] }
  }

  /**
   * Creates version `newest + 1` with compare-and-set "only if absent"; when another put wins that
   * number, reads the head again and takes the next one (or, with `exact`, throws E_CONFLICT).
   * `head` is the caller's first read, if any.
   */
  protected async publishVersion(name: string, kind: string, kindMeta: JsonObject, written: WrittenParts, options: PublishOptions): Promise<VersionDoc> {
    let head = options.head ?? (await this.head(name))
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
        if (!OmegaError.is(err, 'E_CONFLICT') || options.exact === true || attempt >= CAS_RETRIES) throw err
        await backoff(attempt)
        head = await this.head(name)
      }
    }
  }

  /**
   * One reverse scan: the highest version number (tombstones and unreadable documents included, so
   * numbers are never reused) and the latest live version; `unreadable` names a newer version
   * document that cannot be parsed (then the latest version is that one, and reading it fails).
   */
  protected async head(name: string): Promise<Head> {
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
    const legacy = await this.#legacy(name)
    const latest = legacy && !(await this.ctx.backend.meta.get(this.#versionKey(name, 1))) ? this.#asLegacy(legacy.key, legacy.doc) : undefined
    return { newest: Math.max(newest ?? 0, latest ? 1 : 0), latest, ...(unreadable !== undefined && { unreadable }) }
  }

  /** Every live version, oldest first (a pre-versions document as version 1). */
  protected async versions(name: string): Promise<VersionDoc[]> {
    const out: VersionDoc[] = []
    let noVersion1 = true
    for await (const { doc } of this.ctx.backend.meta.list(`${this.key(name)}/@`)) {
      noVersion1 &&= doc.version !== 1
      if (!isTombstone(doc)) out.push(doc as unknown as VersionDoc)
    }
    if (noVersion1) {
      const legacy = await this.#legacy(name)
      const v1 = legacy && this.#asLegacy(legacy.key, legacy.doc)
      if (v1) out.unshift(v1)
    }
    return out
  }

  async #versionDoc(name: string, version: number): Promise<VersionDoc | undefined> {
    const stored = await this.ctx.backend.meta.get(this.#versionKey(name, version))
    if (stored) return isTombstone(stored.doc) ? undefined : (stored.doc as unknown as VersionDoc)
    if (version !== 1) return undefined
    const legacy = await this.#legacy(name)
    return legacy && this.#asLegacy(legacy.key, legacy.doc)
  }

  /** The document a release before versions wrote for the name, if any. */
  async #legacy(name: string): Promise<StoredDoc | undefined> {
    const stored = await this.ctx.backend.meta.get(this.key(name))
    return stored && this.#asLegacy(stored.key, stored.doc) ? stored : undefined
  }

  #asLegacy(key: string, doc: JsonObject): VersionDoc | undefined {
    if (doc.version !== undefined || typeof doc.name !== 'string' || typeof doc.kind !== 'string' || key !== this.key(doc.name)) return undefined
    return { ...(doc as unknown as MetadataDoc), version: 1, parent: null }
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
    const { latest, unreadable } = await this.head(name)
    if (unreadable !== undefined) {
      const err = errors.unreadableDocument(unreadable, 'its latest version document cannot be parsed')
      throw new OmegaError('E_INTEGRITY', `${this.noun} "${name}" in bucket "${this.bucket}": ${err.message}`, { details: { name, bucket: this.bucket, key: unreadable } })
    }
    if (cacheable && latest) this.ctx.heads.set(key, generation, latest)
    return latest
  }

  /** Drops the versions older than the newest `keep` that carry no tag. */
  async #retain(name: string, keep: number): Promise<void> {
    const versions = await this.versions(name)
    if (versions.length <= keep) return
    const tagged = new Set((await this.#tags(name)).values())
    for (const v of versions.slice(0, versions.length - keep)) {
      if (!tagged.has(v.version)) await this.drop(`${name}@${v.version}`, { force: true })
    }
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
        // A tag moved: names resolved through it (the runtime caches them) must be resolved again.
        this.ctx.heads.invalidate(this.key(name))
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
    for (const key of [this.#tagsKey(name), this.key(name)]) {
      const d = await this.ctx.backend.meta.get(key)
      if (d && (key !== this.key(name) || this.#asLegacy(d.key, d.doc))) docs.push(d)
    }
    for (const d of docs) {
      try {
        await this.ctx.backend.meta.delete(d.key, { ifRevision: d.revision })
      } catch (err) {
        if (!OmegaError.is(err, 'E_NOT_FOUND')) throw err
        continue
      }
      if (!isTombstone(d.doc) && typeof d.doc.kind === 'string') removed.push(d.doc as unknown as MetadataDoc)
    }
    this.ctx.heads.invalidate(this.key(name))
    return removed
  }

  async #missingVersion(name: string, what: string, parsed: ParsedName): Promise<OmegaError> {
    const versions = (await this.versions(name)).map((v) => v.version)
    if (versions.length === 0) return this.notFound(parsed)
    const range = versions.length === 1 ? `version ${versions[0]}` : `versions ${versions.join(', ')}`
    return new OmegaError(
      'E_NOT_FOUND',
      `${this.noun} "${parsed.raw}" not found in bucket "${this.bucket}": no ${what}; ${versions.length} version(s) exist (${range})`,
      { details: { name, bucket: this.bucket, versions } },
    )
  }
}

/**
 * The attributes a put records: `options.attributes` with `keep` (the option wins) checked.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT if `keep` is not a positive integer
 */
export function keepAttributes(options: { readonly keep?: number; readonly attributes?: JsonObject | undefined; readonly signal?: AbortSignal | undefined }): JsonObject | undefined {
  checkAttributes(options.attributes)
  throwIfAborted(options.signal)
  const keep = options.keep ?? options.attributes?.keep
  if (keep === undefined) return options.attributes
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1) {
    throw errors.invalidArgument(`keep must be a positive integer (the number of newest versions to keep), got ${JSON.stringify(keep)}; nothing was stored`, { keep: String(keep) })
  }
  return { ...options.attributes, keep }
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
