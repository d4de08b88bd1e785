import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { isPlainObject, type JsonObject } from '../../json.js'
import type { Artifacts, Handler, StoredArtifacts } from '../handler.js'

/** A file to store by path: `{ path: './model.bin' }`. */
export interface FileRef {
  readonly path: string
}

/** True for `{ path: string }` with no other members. */
export function isFileRef(value: unknown): value is FileRef {
  return isPlainObject(value) && typeof value.path === 'string' && Object.keys(value).length === 1
}

/**
 * Kind `file`: bytes from a `Uint8Array`/`Buffer`, a `Readable` or `{ path }`, streamed into one
 * blob so a large file is never held in memory. `get` returns the bytes.
 */
export class FileHandler implements Handler<Uint8Array | Readable | FileRef> {
  readonly kind = 'file'
  readonly stores = ['datasets', 'scripts'] as const

  supports(value: unknown): boolean {
    return value instanceof Uint8Array || value instanceof Readable || isFileRef(value)
  }

  async serialize(value: Uint8Array | Readable | FileRef): Promise<Artifacts> {
    const source: Uint8Array | AsyncIterable<Uint8Array> =
      value instanceof Uint8Array ? value : value instanceof Readable ? value : createReadStream(value.path)
    const meta: JsonObject = isFileRef(value) ? { filename: value.path.split(/[\\/]/).pop() ?? '' } : {}
    if (Buffer.isBuffer(value)) meta.buffer = true
    return { kindMeta: meta, parts: { data: source } }
  }

  /** The bytes: a Buffer if a Buffer was stored, else a Uint8Array. `om.datasets.open()` streams instead. */
  async deserialize(stored: StoredArtifacts): Promise<Uint8Array> {
    const bytes = await stored.bytes('data')
    if (stored.kindMeta.buffer === true) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes
  }
}
