import { OmegaError, errors, throwIfAborted } from '../errors.js'
import { isPlainObject, mergeAttributes, toJson, type JsonObject } from '../json.js'
import { isGlob, literalPrefix, nameMatcher, type NameFilterOptions } from '../names/glob.js'
import { parseName, type ParsedName } from '../names/name-grammar.js'
import { validateName } from '../names/validate-name.js'
import type { StoredDoc } from '../backend/storage-backend.js'
import type { HandlerContext, StoreName } from '../handler/handler.js'
import { commit, publishDoc, releaseDocs, storedArtifacts, type WrittenParts } from './commit.js'
import { metadataToJson, type Metadata, type MetadataDoc } from './metadata.js'
import { DROP_CONCURRENCY, IO_CONCURRENCY, forEachLimit, limiter } from './pool.js'
import { CAS_RETRIES, backoff, objectKey, type StoreContext } from './store-context.js'

/** Options of `put`. */
export interface PutOptions {
  /** User attributes, merged into those already stored under the name. */
  readonly attributes?: JsonObject
  /** Use exactly this handler kind (E_UNSUPPORTED if it does not take the value). */
  readonly kind?: string
  /** Overwrite an existing object. Data stores replace by default; `false` refuses to overwrite. */
  readonly replace?: boolean
  readonly signal?: AbortSignal
  /** Handler-specific options. */
  readonly [option: string]: unknown
}

/** Options of `get`. */
export interface GetOptions {
  readonly signal?: AbortSignal
  readonly [option: string]: unknown
}

/** Options of `list`. */
export interface ListOptions extends NameFilterOptions {
  /** Only objects of this kind. */
  readonly kind?: string
  /** Return `Metadata[]` instead of names. */
  readonly raw?: boolean
}

/** Options of `drop`. */
export interface DropOptions {
  /** No error if nothing matches. */
  readonly force?: boolean
}

/** Options of `promote`. */
export interface PromoteOptions {
  /** Name in the target; required when the target is this very store. */
  readonly asname?: string
  /** Reserved for other copy methods; only `'copy'` exists. @default 'copy' */
  readonly method?: 'copy'
  /** Attributes merged into the promoted object's. */
  readonly attributes?: JsonObject
}

/**
 * A user-facing store (`om.datasets`, `om.scripts`, `om.jobs`): put/get/exists/metadata/list/drop/
 * promote over one prefix of one bucket. Holds no backend-specific code; every write goes
 * through `commit()`.
 */
export class ObjectStore {
  constructor(
    protected readonly ctx: StoreContext,
    readonly store: StoreName,
    readonly prefix: string,
  ) {}

  /** The bucket this store belongs to. */
  get bucket(): string {
    return this.ctx.bucket
  }

  /** The store as a URL (`level:/srv/.omega`, `s3://bucket/prefix`), for lineage across instances. */
  get storeUrl(): string {
    const { scheme, location } = this.ctx.backend
    return location.startsWith(`${scheme}:`) ? location : `${scheme}:${location}`
  }

  /** An identifier of the physical store, to tell whether a promote target is this very store. */
  get location(): string {
    return `${this.ctx.backend.scheme}|${this.ctx.backend.location}`
  }

  /**
   * Stores `obj` under `name` and returns its metadata. The first handler that supports the value
   * serialises it (or the one `kind` names); bytes are written first and published by one
   * compare-and-set, so a failed put leaves nothing visible.
   *
   * @throws {OmegaError} E_INVALID_NAME, E_UNSUPPORTED (no handler for the value), E_CONFLICT (`replace: false` and it exists)
   */
  async put(obj: unknown, name: string, options: PutOptions = {}): Promise<Metadata> {
    validateName(name)
    checkAttributes(options.attributes)
    throwIfAborted(options.signal)
    const key = this.key(name)
    const existing = await this.ctx.backend.meta.get(key)
    if (existing && options.replace === false) throw alreadyExists(name, this.bucket)
    const handler = this.ctx.handlers.select(this.store, obj, { kind: options.kind, existingKind: existing?.doc.kind as string | undefined })
    const artifacts = await handler.serialize(obj, this.handlerContext(name, options))
    const { doc: meta, replaced } = await commit(this.ctx.backend, artifacts, options.signal, async (written) => {
      let current: StoredDoc | undefined = existing
      for (let attempt = 0; ; attempt++) {
        const doc = this.buildDoc(name, handler.kind, artifacts.kindMeta, written, current?.doc as unknown as MetadataDoc | undefined, options.attributes)
        try {
          await publishDoc(this.ctx.backend, written, key, metadataToJson(doc), { ifRevision: current?.revision ?? null })
          return { doc, replaced: current?.doc }
        } catch (err) {
          if (!OmegaError.is(err, 'E_CONFLICT') || attempt >= CAS_RETRIES) throw err
          await backoff(attempt)
          current = await this.ctx.backend.meta.get(key)
          if (current && options.replace === false) throw alreadyExists(name, this.bucket)
        }
      }
    })
    if (replaced) await this.collect([replaced], meta)
    return this.present(meta)
  }

  /**
   * Returns the stored object, rebuilt by its handler.
   *
   * @throws {OmegaError} E_NOT_FOUND if there is no such object
   */
  async get(name: string, options: GetOptions = {}): Promise<unknown> {
    throwIfAborted(options.signal)
    const parsed = parseName(name)
    const meta = await this.resolve(parsed)
    if (!meta) throw this.notFound(parsed)
    return await this.load(meta, parsed, options)
  }

  /** True if `name` resolves to a stored object. */
  async exists(name: string): Promise<boolean> {
    return (await this.tryResolve(parseName(name))) !== undefined
  }

  /** The object's metadata, or undefined if there is none. */
  async metadata(name: string): Promise<Metadata | undefined> {
    const meta = await this.tryResolve(parseName(name))
    return meta && (await this.presentOne(meta))
  }

  /** {@link resolve}, with "not found" (of a version or tag too) as undefined. */
  protected async tryResolve(parsed: ParsedName): Promise<MetadataDoc | undefined> {
    try {
      return await this.resolve(parsed)
    } catch (err) {
      if (OmegaError.is(err, 'E_NOT_FOUND')) return undefined
      throw err
    }
  }

  /** Sorted names (or metadata with `raw`) matching a glob or regexp; temp (`_`) and hidden (`.`) names only when asked. */
  async list(pattern: string | undefined, options: ListOptions & { raw: true }): Promise<Metadata[]>
  async list(pattern?: string, options?: ListOptions): Promise<string[]>
  async list(pattern?: string, options: ListOptions = {}): Promise<string[] | Metadata[]> {
    const match = nameMatcher(pattern, options)
    const out: MetadataDoc[] = []
    // Only the key range the pattern can match is read: a glob drop costs its matches, not the store.
    for (const meta of await this.all(literalPrefix(pattern, options))) {
      if (match(meta.name) && (options.kind === undefined || meta.kind === options.kind)) out.push(meta)
    }
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    if (options.raw) {
      const limit = limiter(IO_CONCURRENCY)
      return await Promise.all(out.map((m) => limit(() => this.presentOne(m))))
    }
    return out.map((m) => m.name)
  }

  /**
   * Drops the object (a glob drops every match) and any blobs no other object uses.
   *
   * @throws {OmegaError} E_NOT_FOUND if nothing matches, unless `force`
   */
  async drop(name: string, options: DropOptions = {}): Promise<boolean> {
    if (isGlob(name)) {
      const names = await this.list(name, { hidden: true, includeTemp: true })
      if (names.length === 0 && !options.force) throw errors.notFound(`no object in om.${this.store} matches`, name, this.bucket)
      // Each drop touches only its own documents and reference records: run several at once, so
      // a glob drop costs its matches' round trips (fsyncs on fs) divided by the concurrency.
      await forEachLimit(names, DROP_CONCURRENCY, (n) => this.drop(n, { force: true }).then(() => undefined))
      return true
    }
    const parsed = parseName(name)
    const removed = await this.remove(parsed)
    if (removed.length === 0) {
      if (options.force) return true
      throw this.notFound(parsed)
    }
    await this.collect(removed)
    return true
  }

  /**
   * Copies the object into `target` (another bucket's or another instance's store of the same
   * type) and returns the target's metadata. Later changes to the source do not affect the copy.
   *
   * @throws {OmegaError} E_INVALID_ARGUMENT when the target is this store and no `asname` is given; E_NOT_FOUND
   */
  async promote(name: string, target: ObjectStore, options: PromoteOptions = {}): Promise<Metadata> {
    if (!(target instanceof ObjectStore) || target.store !== this.store) {
      throw errors.invalidArgument(`promote target must be another om.${this.store} store (e.g. om.bucket('prod').${this.store})`)
    }
    checkAttributes(options.attributes)
    if (options.method !== undefined && options.method !== 'copy') throw errors.invalidArgument(`unknown promote method "${String(options.method)}"`)
    const parsed = parseName(name)
    const targetName = validateName(options.asname ?? parsed.name)
    const sameStore = target.location === this.location && target.bucket === this.bucket
    if (sameStore && targetName === parsed.name) {
      throw errors.invalidArgument(`cannot promote "${name}" onto itself in bucket "${this.bucket}"; pass { asname } or promote to another bucket`)
    }
    const meta = await this.resolve(parsed)
    if (!meta) throw this.notFound(parsed)
    const source = storedArtifacts(this.ctx.backend, meta)
    const parts = Object.fromEntries(Object.keys(meta.parts).map((p) => [p, source.stream(p)]))
    const promotedFrom: JsonObject = { bucket: this.bucket, name: meta.name, sha256: meta.sha256 }
    if (meta.version !== undefined) promotedFrom.version = meta.version
    if (target.location !== this.location) promotedFrom.store = this.storeUrl
    const attributes = mergeAttributes(mergeAttributes(meta.attributes, options.attributes), { promotedFrom })
    return await target.adopt(targetName, meta, { kindMeta: meta.kindMeta, parts }, attributes)
  }

  /** Publishes promoted artifacts under `name` in this store (the target side of promote). @internal */
  protected async adopt(name: string, source: MetadataDoc, artifacts: { kindMeta: JsonObject; parts: Record<string, AsyncIterable<Uint8Array>> }, attributes: JsonObject): Promise<Metadata> {
    const key = this.key(name)
    const existing = await this.ctx.backend.meta.get(key)
    const meta = await commit(this.ctx.backend, artifacts, undefined, async (written) => {
      const doc = { ...this.buildDoc(name, source.kind, artifacts.kindMeta, written, undefined, undefined), attributes }
      await publishDoc(this.ctx.backend, written, key, metadataToJson(doc), { ifRevision: existing?.revision ?? null })
      return doc
    })
    if (existing) await this.collect([existing.doc], meta)
    return this.present(meta)
  }

  // ---- hooks the model store overrides -------------------------------------------------------

  /** The document key of a plain name. */
  protected key(name: string): string {
    return objectKey(this.bucket, this.prefix, name)
  }

  /** The metadata a parsed name addresses; undefined if the name is unknown, E_NOT_FOUND for a missing version or tag. */
  protected async resolve(parsed: ParsedName): Promise<MetadataDoc | undefined> {
    if (parsed.ref !== undefined || parsed.back > 0) {
      throw errors.invalidArgument(`"${parsed.raw}": objects in om.${this.store} have no versions; versions are for om.models`)
    }
    return (await this.ctx.backend.meta.get(this.key(parsed.name)))?.doc as unknown as MetadataDoc | undefined
  }

  /** Every object's metadata whose name starts with `namePrefix`, any order. */
  protected async all(namePrefix = ''): Promise<MetadataDoc[]> {
    const out: MetadataDoc[] = []
    const start = objectKey(this.bucket, this.prefix, namePrefix)
    for await (const { doc } of this.ctx.backend.meta.list(start)) out.push(doc as unknown as MetadataDoc)
    return out
  }

  /** Removes what a parsed name addresses; returns the removed documents. */
  protected async remove(parsed: ParsedName): Promise<MetadataDoc[]> {
    if (parsed.ref !== undefined || parsed.back > 0) return []
    const key = this.key(parsed.name)
    for (let attempt = 0; ; attempt++) {
      const current = await this.ctx.backend.meta.get(key)
      if (!current) return []
      try {
        await this.ctx.backend.meta.delete(key, { ifRevision: current.revision })
        return [current.doc as unknown as MetadataDoc]
      } catch (err) {
        if (!OmegaError.is(err, 'E_CONFLICT') || attempt >= CAS_RETRIES) throw err
      }
    }
  }

  /** Rebuilds a stored object with its handler. */
  protected async load(meta: MetadataDoc, parsed: ParsedName, options: GetOptions): Promise<unknown> {
    if (parsed.columns || parsed.operation) {
      throw errors.invalidArgument(`"${parsed.raw}": column selectors and #operations apply to dataset tables only`, { name: parsed.name, kind: meta.kind })
    }
    const handler = this.ctx.handlers.get(meta.kind)
    return await handler.deserialize(storedArtifacts(this.ctx.backend, meta, options.signal), this.handlerContext(meta.name, options))
  }

  /** Metadata as users see it (models add tags). */
  protected async presentOne(meta: MetadataDoc): Promise<Metadata> {
    return this.present(meta)
  }

  protected present(meta: MetadataDoc): Metadata {
    // `pins` is the store's own bookkeeping (reference records), not part of Metadata.
    const { pins: _pins, ...shown } = meta as MetadataDoc & { pins?: unknown }
    return toJson(shown) as unknown as Metadata
  }

  protected notFound(parsed: ParsedName): OmegaError {
    return errors.notFound(`object in om.${this.store}`, parsed.raw, this.bucket)
  }

  protected buildDoc(
    name: string,
    kind: string,
    kindMeta: JsonObject,
    written: WrittenParts,
    previous: MetadataDoc | undefined,
    attributes: JsonObject | undefined,
  ): MetadataDoc {
    const now = new Date().toISOString()
    return {
      name,
      bucket: this.bucket,
      prefix: this.prefix,
      kind,
      attributes: mergeAttributes(previous?.attributes ?? {}, attributes),
      kindMeta,
      size: written.size,
      sha256: written.sha256,
      createdAt: previous?.createdAt ?? now,
      modifiedAt: now,
      parts: written.parts,
      pins: written.pins,
    } as MetadataDoc
  }

  protected handlerContext(name: string, options: Readonly<Record<string, unknown>>): HandlerContext {
    const signal = options.signal as AbortSignal | undefined
    return { name, store: this.store, options, ...(signal && { signal }) }
  }

  /**
   * Releases the blobs of unpublished documents that `keep` does not hold; a blob nothing holds
   * any more is deleted. Never fails the committed call that runs it (see `releaseDocs`).
   */
  protected async collect(removed: readonly (MetadataDoc | JsonObject)[], keep?: MetadataDoc): Promise<void> {
    await releaseDocs(this.ctx.backend, removed, keep, !this.ctx.refsComplete).catch(() => undefined)
  }
}

/** E_INVALID_ARGUMENT unless attributes are a plain JSON object. @internal */
export function checkAttributes(attributes: unknown): void {
  if (attributes !== undefined && !isPlainObject(attributes)) {
    throw errors.invalidArgument('attributes must be a plain JSON object')
  }
}

/** E_CONFLICT for `put(…, { replace: false })` onto an existing name. @internal */
export function alreadyExists(name: string, bucket: string): OmegaError {
  return new OmegaError('E_CONFLICT', `"${name}" already exists in bucket "${bucket}"; pass { replace: true } to overwrite it`, {
    details: { name, bucket },
    transient: false,
  })
}
