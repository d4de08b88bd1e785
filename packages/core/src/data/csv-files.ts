import { createWriteStream } from 'node:fs'
import { open as openFile, rename, rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Type, type Table } from 'apache-arrow'
import { stringify } from 'csv-stringify'
import { OmegaError } from '../errors.js'
import type { CsvProgress } from './csv.js'

/**
 * Opens a CSV file for reading.
 *
 * @throws {OmegaError} E_NOT_FOUND naming the path if there is no such file
 */
export async function openCsv(path: string): Promise<Readable> {
  try {
    return (await openFile(path, 'r')).createReadStream()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new OmegaError('E_NOT_FOUND', `CSV file "${path}" not found; nothing was stored`, { cause: err, details: { path } })
    }
    throw OmegaError.wrap(err, 'E_INVALID_ARGUMENT', (m) => `cannot read CSV file "${path}": ${m}`, { path })
  }
}

/** Writes tables as one CSV file (header from the first), atomically: a temp file renamed at the end. */
export async function writeCsvFile(tables: AsyncIterable<Table>, path: string, onProgress?: (progress: CsvProgress) => void): Promise<CsvProgress> {
  const tmp = `${path}.omega-${process.pid}-${Date.now()}.tmp`
  let rows = 0
  let bytes = 0
  async function* lines(): AsyncIterable<unknown[]> {
    let header = false
    for await (const table of tables) {
      if (!header) {
        yield table.schema.fields.map((f) => f.name)
        header = true
      }
      const timestamps = table.schema.fields.map((f) => f.type.typeId === Type.Timestamp || f.type.typeId === Type.Date)
      const columns = table.schema.fields.map((_, j) => table.getChildAt(j)!)
      for (let i = 0; i < table.numRows; i++) {
        yield columns.map((c, j) => {
          const v = c.get(i) as unknown
          return v === null ? '' : timestamps[j] ? new Date(Number(v)).toISOString() : typeof v === 'bigint' ? v.toString() : v
        })
      }
      rows += table.numRows
      onProgress?.({ rows, bytes })
    }
  }
  const out = createWriteStream(tmp)
  out.on('data', () => undefined)
  const counter = stringify({ cast: { boolean: (b) => String(b) } })
  counter.on('data', (d: Buffer) => (bytes += d.byteLength))
  try {
    await pipeline(Readable.from(lines()), counter, out)
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  onProgress?.({ rows, bytes })
  return { rows, bytes }
}
