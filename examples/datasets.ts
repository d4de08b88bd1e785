// Datasets on Apache Arrow: CSV in, column selectors, filters, appends and chunked iteration.
// Run: npx -y pnpm@10.34.9 example examples/datasets.ts
import { fileURLToPath } from 'node:url'
import { Omega, type Table } from '@omega/omega'

const om = await Omega.open()
const csv = fileURLToPath(new URL('../fixtures/datasets/wine.csv', import.meta.url))

// Stream the CSV in, 50 rows per record batch; types are inferred from the first chunk.
const meta = await om.datasets.readCsv(csv, 'wine', { chunkSize: 50, types: { target: 'int32' } })
console.log(`wine: ${meta.kindMeta.rows} rows, ${(meta.kindMeta.batches as unknown[]).length} batches, ${meta.size} bytes`)

// Column selectors read only the selected columns' bytes from storage.
const two = (await om.datasets.get('wine[alcohol,target]')) as Table
console.log('wine[alcohol,target] ->', two.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(', '))
const features = (await om.datasets.get('wine[^target]')) as Table
console.log(`wine[^target] -> ${features.numCols} feature columns`)
const range = (await om.datasets.get('wine[alcohol:ash]')) as Table
console.log('wine[alcohol:ash] ->', range.schema.fields.map((f) => f.name).join(', '))

// Filters are evaluated batch by batch; values are data, never code.
const strong = (await om.datasets.get('wine[alcohol,target]', { filter: { alcohol: { gte: 14.2 }, target: { in: [0, 1] } } })) as Table
console.log(`alcohol >= 14.2 and class 0/1: ${strong.numRows} rows`, strong.toArray().map((r) => r.toJSON()))

// Append rows as new batches, then iterate in fixed-size chunks with flat memory.
await om.datasets.put([{ ...strong.toArray()[0]!.toJSON() }], 'wine-strong')
await om.datasets.put(strong, 'wine-strong', { append: true })
const sizes: number[] = []
for await (const chunk of om.datasets.iter('wine[alcohol]#iterchunks:chunksize=64')) sizes.push(chunk.numRows)
console.log('iterchunks of 64 rows ->', sizes.join(', '))
const slice = (await om.datasets.get('wine[alcohol]#rows:start=10,end=13')) as Table
console.log('rows 10..12 ->', Array.from(slice.getChild('alcohol')!.toArray() as Float64Array))
console.log('datasets:', (await om.datasets.list()).join(', '))
await om.close()
