import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow'
import { OmegaError, errors, isArrowTable } from '@omega/core'
import { toJsonText } from './output.js'

/** File formats the CLI reads and writes, chosen by extension or `--format`. */
export type FileFormat = 'csv' | 'arrow' | 'arrows' | 'parquet' | 'json' | 'file'

const BY_EXTENSION: Readonly<Record<string, FileFormat>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.arrows': 'arrows',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.json': 'json',
}

/** The format of a path: `--format` if given, else by extension; anything else is a plain file. */
export function formatOf(path: string, explicit?: string): FileFormat {
  if (explicit !== undefined) {
    if (!['csv', 'arrow', 'arrows', 'parquet', 'json', 'file'].includes(explicit)) throw errors.invalidArgument(`unknown format "${explicit}": use csv, arrow, arrows, parquet, json or file`)
    return explicit as FileFormat
  }
  return BY_EXTENSION[extname(path).toLowerCase()] ?? 'file'
}

/** True if the path exists and is a file (E_NOT_FOUND otherwise). */
export async function requireFile(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined)
  if (!info?.isFile()) throw errors.notFound('file', path, undefined, 'check the path')
  return info.size
}

/** Reads an Arrow IPC (file or stream) or Parquet file into an Arrow table. */
export async function readTableFile(path: string, format: 'arrow' | 'arrows' | 'parquet'): Promise<Table> {
  const bytes = await readFile(path)
  try {
    if (format === 'parquet') {
      const parquet = await import('parquet-wasm')
      return tableFromIPC(parquet.readParquet(bytes).intoIPCStream())
    }
    return tableFromIPC(bytes)
  } catch (err) {
    throw new OmegaError('E_INVALID_ARGUMENT', `"${path}" is not a readable ${format === 'parquet' ? 'Parquet' : 'Arrow IPC'} file: ${(err as Error).message}`, { details: { path }, cause: err })
  }
}

/** Reads a JSON file (records become a table when stored). */
export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown
  } catch (err) {
    throw new OmegaError('E_INVALID_ARGUMENT', `"${path}" is not valid JSON: ${(err as Error).message}`, { details: { path }, cause: err })
  }
}

/** Writes bytes to `path` atomically (temp file + rename), so a failed write leaves no partial file. */
export async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.omega-${process.pid}-${Date.now()}.tmp`
  try {
    await writeFile(tmp, bytes)
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/** Encodes a dataset value into the bytes of `format`. */
export async function encodeValue(value: unknown, format: Exclude<FileFormat, 'csv'>, name: string): Promise<Uint8Array | string> {
  if (isArrowTable(value)) {
    const table = value as Table
    if (format === 'arrow') return tableToIPC(table, 'file')
    if (format === 'arrows') return tableToIPC(table, 'stream')
    if (format === 'parquet') {
      const parquet = await import('parquet-wasm')
      const properties = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.SNAPPY).build()
      return parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), properties)
    }
    if (format === 'json') return toJsonText(table.toArray().map((row: { toJSON(): unknown }) => row.toJSON()))
    throw errors.invalidArgument(`"${name}" is a table: write it as .csv, .arrow, .arrows, .parquet or .json`)
  }
  if (value instanceof Uint8Array) return value
  if (format === 'arrow' || format === 'arrows' || format === 'parquet') throw errors.invalidArgument(`"${name}" is not a table; write it as .json (or a plain file)`)
  const tensor = value as { dtype?: unknown; shape?: unknown; toArray?: () => unknown }
  if (typeof tensor?.toArray === 'function' && tensor.shape !== undefined) return toJsonText({ dtype: tensor.dtype, shape: tensor.shape, data: tensor.toArray() })
  return toJsonText(value)
}
