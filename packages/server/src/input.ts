import { errors, type DataArg } from '@omega/core'

/**
 * Request data as a runtime input: `{ columns, data }` (rows of values) becomes records; a list of
 * records or a list of rows passes as is.
 */
export function bodyData(body: unknown): DataArg {
  if (Array.isArray(body)) {
    if (body.length === 0) throw errors.dataShape('the request body is an empty list; send at least one record or row')
    return body as DataArg
  }
  if (typeof body === 'object' && body !== null && 'data' in body) {
    const { columns, data } = body as { columns?: unknown; data: unknown }
    if (!Array.isArray(data) || data.some((r) => !Array.isArray(r))) throw errors.dataShape('"data" must be a list of rows (lists of values)')
    if (columns === undefined) return data as number[][]
    if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string')) throw errors.dataShape('"columns" must be a list of column names')
    const rows = data as unknown[][]
    const bad = rows.findIndex((r) => r.length !== columns.length)
    if (bad >= 0) throw errors.dataShape(`row ${bad} has ${rows[bad]!.length} values but there are ${columns.length} columns`)
    return rows.map((r) => Object.fromEntries(columns.map((c: string, i) => [c, r[i]])))
  }
  throw errors.invalidArgument('send the data as { "columns": [...], "data": [[...], ...] }, as a list of records, or name a dataset with ?datax=')
}
