// size: versions, tags, drops, retention and legacy documents share the private key and head helpers; splitting them would expose those.
import { OmegaError, errors, throwIfAborted } from '../errors.js'
import { mergeAttributes, type JsonObject } from '../json.js'
import { formatRef, isValidTag, parseName, type ParsedName } from '../names/name-grammar.js'
import { validateName } from '../names/validate-name.js'
import type { StoredDoc } from '../backend/storage-backend.js'
import { commit, describeParts, pinsOf, publishDoc, type WrittenParts } from './commit.js'
import { baseOf, builderCount, buildersKey, chainCache, updateBuilders } from './version-chain.js'
import { metadataToJson, type Metadata, type MetadataDoc } from './metadata.js'
import { ObjectStore, alreadyExists, checkAttributes, type PutOptions } from './object-store.js'
import { CAS_RETRIES, backoff, objectKey } from './store-context.js'
import { IO_CONCURRENCY, limiter } from './pool.js'

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
/** From this many versions on, a name keeps a head hint (`<name>/#head`), so finding its latest version does not list them all. */
const HINT_FROM = 16
/** A lookup that reads more than this many versions past the hint moves it. */
const HINT_STEPS = 8
/** Bases a cold read fetches one by one before it lists the name's version documents at once. */
const WALK_BY_GETS = 8

export type VersionDoc = MetadataDoc & { version: number }

/** The newest version number ever used and the latest live version of a name. */
export interface Head {
  readonly newest: number
  readonly latest: VersionDoc | undefined
  /** Key of a version document newer than `latest` that cannot be parsed. */
  readonly unreadable?: string
  /** The stored revision of `latest`'s document, where known: a cached head is checked against it. */
  readonly revision?: string
}

/** How {@link VersionedStore.publishVersion} numbers the new version. */
export interface PublishOptions {
  readonly attributes?: JsonObject | undefined
  readonly parent?: number | null | undefined
  readonly head?: Head
  readonly signal?: AbortSignal | undefined
  /** Publish exactly `head.newest + 1` or throw E_CONFLICT (appends, whose content depends on the head). */
  readonly exact?: boolean
  /** Fields that replace the built document's (a delta version's `base`, and its total `size` and `sha256`). */
  readonly extra?: JsonObject
}

/**
 * The one implementation of versions, shared by `om.models` and `om.datasets`: every put is a new
 * immutable version 1, 2, 3 … of the name. Each version is its own document
 * `bucket/<prefix><name>/@<version>`, created with compare-and-set "only if absent", so two
 * concurrent puts always get two distinct versions. Tags live in `bucket/<prefix><name>/#tags`. A
 * dropped version leaves a tombstone so its number is never reused (lineage stays unambiguous).
 *
 * A version document pins the blobs it wrote with its own holder (blob-refs.ts). An append's
 * version is a delta: it lists only its new parts and refers to the version it extends (its base,
 * version-chain.ts), so a dropped version stays *retained* while a live version builds on it, and
 * its bytes go when nothing does. Documents of appends written before deltas existed list every
 * part with the holders of the versions that wrote them; a drop releases only holders that no
 * version with content still lists, so they keep working.
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

  #headKey(name: string): string {
    return `${this.key(name)}/#head`
  }

  protected override async resolve(parsed: ParsedName): Promise<MetadataDoc | undefined> {
    const doc = await this.#resolveStored(parsed)
    return doc && (await this.materialize(doc))
  }

  /** The stored document a parsed name addresses (a delta version as stored, not materialised). */
  async #resolveStored(parsed: ParsedName): Promise<VersionDoc | undefined> {
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
    const start = objectKey(this.bucket, this.prefix, namePrefix)
    const fromKeys = await this.#allFromKeys(start)
    if (fromKeys) return fromKeys
    const latest = new Map<string, VersionDoc>()
    for await (const { key, doc } of this.ctx.backend.meta.list(start)) {
      const v = typeof doc.version === 'number' ? (doc as unknown as VersionDoc) : this.#asLegacy(key, doc)
      if (!v || isTombstone(doc)) continue
      const prev = latest.get(v.name)
      if (!prev || prev.version < v.version) latest.set(v.name, v)
    }
    return [...latest.values()]
  }

  /**
   * {@link all} from the keys alone where the backend can list them (`listKeys`): only each name's
   * latest live version is read, not every version document. Undefined where a full listing is as
   * cheap (an ordered index, one document per name).
   */
  async #allFromKeys(start: string): Promise<MetadataDoc[] | undefined> {
    const meta = this.ctx.backend.meta
    if (!meta.listKeys) return undefined
    const versions = new Map<string, number[]>()
    const others: string[] = []
    let count = 0
    for await (const key of meta.listKeys(start)) {
      count++
      const at = key.lastIndexOf('/@')
      const number = at >= 0 ? key.slice(at + 2) : ''
      if (number.length === VERSION_DIGITS && /^\d+$/.test(number)) {
        const list = versions.get(key.slice(0, at)) ?? []
        list.push(Number(number))
        versions.set(key.slice(0, at), list)
      } else if (!key.endsWith('/#tags') && !key.endsWith('/#head')) others.push(key)
    }
    // A backend with an ordered index (LevelDB) lists documents with their keys in one pass: there
    // the full listing is cheaper while names have few versions. Elsewhere (fs, S3) a listing reads
    // each document on its own anyway, so the keys already in hand are not listed twice.
    if (count <= 2 * (versions.size + others.length) && this.ctx.backend.supports.orderedListing === true) return undefined
    const read = async (key: string): Promise<JsonObject | undefined> => {
      try {
        return (await meta.get(key))?.doc
      } catch (err) {
        if (OmegaError.is(err, 'E_INTEGRITY')) return undefined // listings skip unreadable documents
        throw err
      }
    }
    const out: MetadataDoc[] = []
    const limit = limiter(IO_CONCURRENCY)
    const legacy = new Set(others)
    await Promise.all(
      [...new Set([...versions.keys(), ...others])].map((nameKey) =>
        limit(async () => {
          for (const v of (versions.get(nameKey) ?? []).sort((a, b) => b - a)) {
            const doc = await read(`${nameKey}/@${String(v).padStart(VERSION_DIGITS, '0')}`)
            if (doc && typeof doc.version === 'number' && !isTombstone(doc)) {
              out.push(doc as unknown as VersionDoc)
              return
            }
          }
          const doc = legacy.has(nameKey) ? await read(nameKey) : undefined
          const v = doc && this.#asLegacy(nameKey, doc)
          if (v) out.push(v)
        }),
      ),
    )
    return out
  }

  protected override async remove(parsed: ParsedName): Promise<MetadataDoc[]> {
    if (parsed.ref === undefined && parsed.back === 0) return await this.#removeAll(parsed.name)
    // As stored: a version whose chain is broken can still be dropped.
    const doc = await this.#resolveStored(parsed).catch((err: unknown) => {
      if (OmegaError.is(err, 'E_NOT_FOUND')) return undefined
      throw err
    })
    if (!doc) return []
    const key = this.#versionKey(doc.name, doc.version)
    const current = await this.ctx.backend.meta.get(key)
    const legacy = !current && doc.version === 1 ? await this.#legacy(doc.name) : undefined
    if (!legacy && (!current || isTombstone(current.doc))) return []
    this.ctx.heads.invalidate(this.key(doc.name))
    const stored = (legacy ? { ...legacy.doc, version: 1, parent: null } : current!.doc) as JsonObject
    const droppedAt = new Date().toISOString()
    // A version an append may build on is first marked dropped with its content (retained), so
    // an append that has not yet checked its base sees the drop; #settle strips it unless one did.
    const tombstone: JsonObject = this.canBeBase(stored) ? { ...stored, dropped: true, droppedAt } : { dropped: true, version: doc.version, droppedAt }
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
    const stripped = await this.#settle(doc.name, this.canBeBase(stored) ? [] : [stored as unknown as MetadataDoc])
    // Always name the dropped version, so drop() knows it found one (its pins may be released later).
    return stripped.some((d) => d.version === doc.version) ? stripped : [{ ...(stored as unknown as MetadataDoc), pins: {} } as MetadataDoc, ...stripped]
  }

  /**
   * Strips every dropped version that no live version builds on (directly or through other
   * versions) and no append holds: its document becomes a plain tombstone and its base loses its
   * holder. Returns the stripped documents with the pins to release: those no version that keeps
   * content still lists (documents of appends written before deltas share holders). Read after
   * the caller's drop, so of two concurrent drops at least one sees the other and strips both.
   * `alreadyStripped` are documents the caller made plain tombstones itself.
   */
  async #settle(name: string, alreadyStripped: readonly MetadataDoc[] = []): Promise<MetadataDoc[]> {
    const docs: StoredDoc[] = []
    for await (const d of this.ctx.backend.meta.list(`${this.key(name)}/@`)) docs.push(d)
    if (!docs.some((d) => d.doc.version === 1)) {
      const legacy = await this.#legacy(name)
      if (legacy) docs.unshift({ ...legacy, doc: { ...legacy.doc, version: 1, parent: null } })
    }
    const content = docs.filter((d) => hasContent(d.doc))
    const byVersion = new Map(content.map((d) => [d.doc.version as number, d]))
    const needed = new Set<number>()
    const mark = (version: number | undefined): void => {
      while (version !== undefined && !needed.has(version)) {
        needed.add(version)
        version = baseOf(byVersion.get(version)?.doc)?.version
      }
    }
    for (const d of content) if (!isTombstone(d.doc)) mark(d.doc.version as number)
    const stripped: MetadataDoc[] = [...alreadyStripped]
    const strippedVersions = new Set<number>()
    // Newest first: stripping a version releases its base, which may then be stripped too.
    for (const d of content.filter((c) => isTombstone(c.doc)).reverse()) {
      const version = d.doc.version as number
      if (needed.has(version)) continue
      if ((await builderCount(this.ctx.backend, this.#buildersKey(name, version))) > 0) {
        mark(version)
        continue
      }
      try {
        await this.ctx.backend.meta.put(d.key, { dropped: true, version, droppedAt: d.doc.droppedAt ?? new Date().toISOString() }, { ifRevision: d.revision })
      } catch (err) {
        if (OmegaError.is(err, 'E_CONFLICT') || OmegaError.is(err, 'E_NOT_FOUND')) continue // another drop stripped it
        throw err
      }
      stripped.push(d.doc as unknown as MetadataDoc)
      strippedVersions.add(version)
      const base = baseOf(d.doc)
      if (base) await updateBuilders(this.ctx.backend, this.#buildersKey(name, base.version), base.holder, false)
    }
    const held = new Set<string>()
    for (const d of content) {
      if (strippedVersions.has(d.doc.version as number)) continue
      for (const [sha, holder] of Object.entries(pinsOf(d.doc))) held.add(`${sha} ${holder}`)
    }
    return stripped.map((d) => ({ ...d, pins: Object.fromEntries(Object.entries(pinsOf(d)).filter(([sha, holder]) => !held.has(`${sha} ${holder}`))) }) as MetadataDoc)
  }

  /** True if an append may build on this stored version (only such versions are retained when dropped). */
  protected canBeBase(_doc: JsonObject): boolean {
    return false
  }

  /**
   * Combines a materialised base with the delta versions stored on it, oldest first, into the
   * full version of the last delta (parts and kindMeta). Only stores whose puts write deltas
   * override it.
   */
  protected combine(_base: VersionDoc, deltas: readonly VersionDoc[]): VersionDoc {
    const last = deltas.at(-1)!
    throw errors.unreadableDocument(this.#versionKey(last.name, last.version), `a ${this.noun} version cannot extend another`)
  }

  /**
   * The full version a stored document stands for: itself, or, for a delta, its chain of bases
   * combined. Materialised versions are cached by content, so only versions not seen before in
   * this process are read. The result's sha256 must match the stored one.
   *
   * @throws {OmegaError} E_INTEGRITY if a base is missing, changed, or the parts do not add up
   */
  protected async materialize(doc: VersionDoc): Promise<VersionDoc> {
    let ref = baseOf(doc)
    if (!ref) return doc
    const cache = chainCache<VersionDoc>(this.ctx.backend)
    const key = (v: number): string => this.#versionKey(doc.name, v)
    const hit = cache.get(key(doc.version), doc.sha256)
    if (hit) return hit
    const chain: VersionDoc[] = [doc]
    let full: VersionDoc | undefined
    // A long walk reads the name's version documents in one listing instead of one get each.
    let listed: Map<number, VersionDoc> | undefined
    while (ref) {
      full = cache.get(key(ref.version), ref.sha256)
      if (full) break
      if (!listed && chain.length > WALK_BY_GETS) listed = await this.#contentDocs(doc.name)
      const base = listed ? listed.get(ref.version) : await this.#contentDoc(doc.name, ref.version)
      if (!base || base.sha256 !== ref.sha256) {
        const what = `${this.noun} "${doc.name}@${chain.at(-1)!.version}" extends version ${ref.version}, which is ${base ? 'another version now' : 'gone'}`
        throw new OmegaError('E_INTEGRITY', `${what}; put the full data again`, { details: { name: doc.name, version: chain.at(-1)!.version, base: ref.version } })
      }
      ref = baseOf(base)
      if (ref) chain.push(base)
      else full = base
    }
    chain.reverse()
    // One pass over the whole chain (combining level by level would copy the part list each time).
    const result = this.combine(full!, chain)
    if (describeParts(result.parts).sha256 !== doc.sha256) {
      throw new OmegaError('E_INTEGRITY', `${this.noun} "${doc.name}@${doc.version}": its parts do not add up to its sha256; put the full data again`, { details: { name: doc.name, version: doc.version } })
    }
    cache.set(key(doc.version), doc.sha256, result)
    return result
  }

  /** Remembers a materialised version (a new append's), so the next read or append walks no chain. */
  protected remember(doc: VersionDoc): void {
    chainCache<VersionDoc>(this.ctx.backend).set(this.#versionKey(doc.name, doc.version), doc.sha256, doc)
  }

  /**
   * Registers an append about to build on `base` (its builders record), then checks that `base`
   * is still live. Call {@link releaseBase} if the append fails.
   *
   * @throws {OmegaError} E_CONFLICT (transient) if `base` was dropped meanwhile; nothing was published
   */
  protected async holdBase(base: VersionDoc, holder: string): Promise<void> {
    await updateBuilders(this.ctx.backend, this.#buildersKey(base.name, base.version), holder, true)
    const now = await this.#versionDoc(base.name, base.version)
    if (now && now.sha256 === base.sha256) return
    await this.releaseBase(base, holder)
    throw new OmegaError('E_CONFLICT', `${this.noun} "${base.name}@${base.version}" was dropped while an append built on it; nothing was appended`, {
      details: { name: base.name, version: base.version },
      transient: true,
    })
  }

  /** Undoes {@link holdBase} of an append that published nothing; strips `base` if it was dropped meanwhile and nothing else holds it. */
  protected async releaseBase(base: VersionDoc, holder: string): Promise<void> {
    const left = await updateBuilders(this.ctx.backend, this.#buildersKey(base.name, base.version), holder, false)
    if (left === 0 && !(await this.#versionDoc(base.name, base.version))) await this.collect(await this.#settle(base.name))
  }

  protected override async adopt(name: string, source: MetadataDoc, artifacts: { kindMeta: JsonObject; parts: Record<string, AsyncIterable<Uint8Array>> }, attributes: JsonObject): Promise<Metadata> {
    const doc = await commit(this.ctx.backend, artifacts, undefined, (written) => this.publishVersion(name, source.kind, artifacts.kindMeta, written, { attributes }))
    return await this.afterPublish(doc)
  }

  protected override async presentOne(meta: MetadataDoc): Promise<Metadata> {
    const full = await this.materialize(meta as VersionDoc)
    const tags = await this.#tags(meta.name)
    return { ...this.present(full), tags: tagsOf(tags, meta.version!) }
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
        ...options.extra,
      }
      const key = this.key(name)
      const generation = this.ctx.heads.generation(key)
      try {
        const stored = metadataToJson(doc)
        const revision = await publishDoc(this.ctx.backend, written, this.#versionKey(name, doc.version), stored, { ifRevision: null })
        // Any lookup that started before this write stored nothing (generation check) and later ones see it.
        this.ctx.heads.invalidate(key)
        this.ctx.heads.noteNewest(key, doc.version)
        // Where no other process writes, this is the head now, unless another write of the name
        // (a put, drop or tag) invalidated it since this one started: the next put or get reads no listing.
        if (!this.ctx.backend.supports.multiProcess) this.ctx.heads.set(key, generation + 1, { newest: doc.version, latest: stored as unknown as VersionDoc, revision } satisfies Head)
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
    const cached = await this.#cachedHead(name)
    if (cached) return cached
    if (this.ctx.backend.supports.orderedListing === true) return await this.#listedHead(name)
    // Where this instance last saw the name (a put, a lookup), read forward from there like from
    // the hint: a warm lookup reads the latest document and one past it, however many versions exist.
    const key = this.key(name)
    const seen = this.ctx.heads.newest(key)
    const warm = seen === undefined ? undefined : await this.#hintedHead(name, seen.newest)
    if (warm) {
      // The stored hint is for other processes: moved as often as a lookup from it would move it.
      const stale = seen!.hint === undefined || warm.newest - seen!.hint > HINT_STEPS
      if (warm.newest >= HINT_FROM && stale) await this.#writeHint(name, warm.newest, await this.ctx.backend.meta.get(this.#headKey(name)).catch(() => undefined))
      this.ctx.heads.noteNewest(key, warm.newest, warm.newest >= HINT_FROM && stale ? warm.newest : undefined)
      return warm
    }
    const hint = await this.ctx.backend.meta.get(this.#headKey(name)).catch(() => undefined)
    const from = hint?.doc.newest
    const hinted = typeof from === 'number' ? await this.#hintedHead(name, from) : undefined
    const moved = hinted ? hinted.newest - (from as number) > HINT_STEPS : true
    const head = hinted ?? (await this.#listedHead(name))
    if (moved) await this.#writeHint(name, head.newest, hint)
    this.ctx.heads.noteNewest(key, head.newest, moved ? head.newest : (from as number))
    return head
  }

  /**
   * The head this instance remembered (where no other process writes), if the latest version's
   * document still has the remembered revision: one read instead of a listing, and a document
   * changed behind the store's back (a test, a repair) is seen.
   */
  async #cachedHead(name: string): Promise<Head | undefined> {
    if (this.ctx.backend.supports.multiProcess) return undefined
    const hit = this.ctx.heads.get(this.key(name)) as Head | undefined
    if (!hit?.latest || hit.revision === undefined) return undefined
    const stored = await this.ctx.backend.meta.get(this.#versionKey(name, hit.latest.version)).catch(() => undefined)
    if (!stored || stored.revision !== hit.revision) return undefined
    return { newest: hit.newest, latest: stored.doc as unknown as VersionDoc, revision: stored.revision }
  }

  /**
   * {@link head} from the name's head hint `#head` (`{ newest }`) without listing its versions:
   * versions are numbered densely from 1 (a drop leaves a tombstone), so the newest is found by
   * reading `@hint`, `@hint+1`… and the latest live version by reading down from there. Writers
   * never update the hint (a put stays one compare-and-set); a lookup that had to read more than
   * {@link HINT_STEPS} versions past it moves it. Undefined (list instead) without a usable hint,
   * or when the hint does not fit what is stored (the name was dropped and put again).
   */
  async #hintedHead(name: string, from: number): Promise<Head | undefined> {
    if (!Number.isSafeInteger(from) || from < 1) return undefined
    const read = async (version: number): Promise<{ doc?: JsonObject; unreadable?: string } | undefined> => {
      const key = this.#versionKey(name, version)
      try {
        const stored = await this.ctx.backend.meta.get(key)
        return stored && { doc: stored.doc }
      } catch (err) {
        if (OmegaError.is(err, 'E_INTEGRITY')) return { unreadable: key }
        throw err
      }
    }
    let newest = from
    let entry = await read(newest)
    if (!entry) return undefined
    for (let next = await read(newest + 1); next; next = await read(newest + 1)) {
      newest++
      entry = next
    }
    let unreadable: string | undefined
    for (let version = newest; version >= 1 && newest - version <= HINT_STEPS; version--) {
      const e = version === newest ? entry : await read(version)
      if (!e) return undefined
      if (e.unreadable !== undefined) unreadable ??= e.unreadable
      else if (!isTombstone(e.doc!)) return { newest, latest: e.doc as unknown as VersionDoc, ...(unreadable !== undefined && { unreadable }) }
    }
    // Many dropped versions on top (or none live): the listing finds the latest, or the legacy document.
    return undefined
  }

  /** Records `newest` in the head hint if the name has enough versions to need one (best effort: a lost race or an error only costs a listing later). */
  async #writeHint(name: string, newest: number, stored: StoredDoc | undefined): Promise<void> {
    if (stored?.doc.newest === newest || (!stored && newest < HINT_FROM)) return
    try {
      await this.ctx.backend.meta.put(this.#headKey(name), { newest }, { ifRevision: stored?.revision ?? null })
    } catch {
      // The hint is only an optimisation.
    }
  }

  /** {@link head} by one reverse listing of the version documents. */
  async #listedHead(name: string): Promise<Head> {
    let newest: number | undefined
    let unreadable: string | undefined
    for await (const entry of this.ctx.backend.meta.list(`${this.key(name)}/@`, { reverse: true, includeUnreadable: true })) {
      if (entry.unreadable !== undefined) {
        newest ??= Number(entry.key.slice(entry.key.lastIndexOf('/@') + 2)) || undefined
        unreadable ??= entry.key
        continue
      }
      newest ??= entry.doc.version as number
      if (!isTombstone(entry.doc)) return { newest, latest: entry.doc as unknown as VersionDoc, revision: entry.revision, ...(unreadable !== undefined && { unreadable }) }
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

  /** A version that keeps content: live, or dropped but retained as a base (a pre-versions document as version 1). */
  async #contentDoc(name: string, version: number): Promise<VersionDoc | undefined> {
    const stored = await this.ctx.backend.meta.get(this.#versionKey(name, version))
    if (stored) return hasContent(stored.doc) ? (stored.doc as unknown as VersionDoc) : undefined
    if (version !== 1) return undefined
    const legacy = await this.#legacy(name)
    return legacy && this.#asLegacy(legacy.key, legacy.doc)
  }

  /** Every version of the name that keeps content, by number (see {@link #contentDoc}). */
  async #contentDocs(name: string): Promise<Map<number, VersionDoc>> {
    const out = new Map<number, VersionDoc>()
    for await (const { doc } of this.ctx.backend.meta.list(`${this.key(name)}/@`)) {
      if (hasContent(doc)) out.set(doc.version as number, doc as unknown as VersionDoc)
    }
    if (!out.has(1)) {
      const v1 = await this.#contentDoc(name, 1)
      if (v1) out.set(1, v1)
    }
    return out
  }

  #buildersKey(name: string, version: number): string {
    return buildersKey(this.key(name), version, VERSION_DIGITS)
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
    const generation = this.ctx.heads.generation(key)
    const head = await this.head(name)
    const { latest, unreadable } = head
    if (unreadable !== undefined) {
      const err = errors.unreadableDocument(unreadable, 'its latest version document cannot be parsed')
      throw new OmegaError('E_INTEGRITY', `${this.noun} "${name}" in bucket "${this.bucket}": ${err.message}`, { details: { name, bucket: this.bucket, key: unreadable } })
    }
    if (cacheable && latest) this.ctx.heads.set(key, generation, head)
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
    const docs: StoredDoc[] = []
    for await (const d of this.ctx.backend.meta.list(`${this.key(name)}/@`)) docs.push(d)
    let found = docs.some((d) => hasContent(d.doc) && !isTombstone(d.doc))
    const legacy = docs.some((d) => d.doc.version === 1) ? undefined : await this.#legacy(name)
    if (legacy) {
      // As in a drop of version 1: first a retained version 1, then the pre-versions document goes.
      const key = this.#versionKey(name, 1)
      const doc = { ...legacy.doc, version: 1, parent: null, dropped: true, droppedAt: new Date().toISOString() }
      const revision = await this.ctx.backend.meta.put(key, doc, { ifRevision: null })
      await this.ctx.backend.meta.delete(legacy.key, { ifRevision: legacy.revision })
      docs.unshift({ key, doc, revision })
      found = true
    }
    const removed: MetadataDoc[] = []
    const kept: StoredDoc[] = []
    // Newest first: deleting a delta version releases its base, which then goes too. A version an
    // append holds (it checked its base before this drop marked it) stays retained with its base:
    // that append's version is then what is left of the name.
    for (let d of [...docs].reverse()) {
      if (hasContent(d.doc) && this.canBeBase(d.doc)) {
        if (!isTombstone(d.doc)) {
          try {
            const doc = { ...d.doc, dropped: true, droppedAt: new Date().toISOString() }
            d = { ...d, doc, revision: await this.ctx.backend.meta.put(d.key, doc, { ifRevision: d.revision }) }
          } catch (err) {
            if (!OmegaError.is(err, 'E_CONFLICT') && !OmegaError.is(err, 'E_NOT_FOUND')) throw err
            continue
          }
        }
        if ((await builderCount(this.ctx.backend, this.#buildersKey(name, d.doc.version as number))) > 0) {
          kept.push(d)
          continue
        }
      }
      try {
        await this.ctx.backend.meta.delete(d.key, { ifRevision: d.revision })
      } catch (err) {
        if (!OmegaError.is(err, 'E_NOT_FOUND') && !OmegaError.is(err, 'E_CONFLICT')) throw err
        continue
      }
      if (!hasContent(d.doc)) continue
      removed.push(d.doc as unknown as MetadataDoc)
      const base = baseOf(d.doc)
      if (base) await updateBuilders(this.ctx.backend, this.#buildersKey(name, base.version), base.holder, false)
    }
    for (const key of [this.#tagsKey(name), this.#headKey(name)]) {
      const d = await this.ctx.backend.meta.get(key)
      if (d) await this.ctx.backend.meta.delete(d.key, { ifRevision: d.revision }).catch(() => undefined)
    }
    this.ctx.heads.invalidate(this.key(name))
    if (!found && removed.length === 0) return []
    const held = new Set(kept.flatMap((d) => Object.entries(pinsOf(d.doc)).map(([sha, holder]) => `${sha} ${holder}`)))
    const out = removed.map((d) => ({ ...d, pins: Object.fromEntries(Object.entries(pinsOf(d)).filter(([sha, holder]) => !held.has(`${sha} ${holder}`))) }) as MetadataDoc)
    return out.length > 0 ? out : [{ name, pins: {} } as unknown as MetadataDoc]
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

/** A live version, or a dropped one retained because a live version builds on it. */
function hasContent(doc: JsonObject): boolean {
  return typeof doc.kind === 'string' && typeof doc.parts === 'object' && doc.parts !== null
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
