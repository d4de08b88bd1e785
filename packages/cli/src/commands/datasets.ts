import type { Command } from 'commander'
import type { JsonObject } from '@omega/core'
import { action, type ActionContext } from '../action.js'
import { collectKeyValue, jsonObject, positiveInt } from '../key-values.js'
import { UsageError, type Streams } from '../output.js'
import { startProgress } from '../progress.js'
import { encodeValue, formatOf, readJsonFile, readTableFile, requireFile, writeAtomic } from '../table-files.js'
import { addStoreCommands } from './store-commands.js'

/** The options of `readCsv` that `--csv key=value` may set. */
const CSV_KEYS = ['delimiter', 'chunkSize', 'types', 'columns']

/** `omega datasets …`: put and get files (CSV, Arrow IPC, Parquet, JSON, any file), plus the shared store commands. */
export function datasetsCommand(program: Command, streams: Streams): void {
  const group = program.command('datasets').description('datasets: tables (CSV, Arrow IPC, Parquet), JSON, tensors, files')
  group
    .command('put')
    .description('store a file as a new version: .csv/.tsv, .arrow/.arrows/.feather, .parquet, .json (records become a table); any other file as bytes')
    .argument('<file>')
    .argument('<name>')
    .option('--append', 'add the rows to the latest version (tables)')
    .option('--csv <key=value>', 'CSV option (repeatable): delimiter=";", chunkSize=10000, types={"id":"int64"}, columns=["a","b"]', collectKeyValue, {})
    .option('--format <format>', 'csv, arrow, arrows, parquet, json or file (default: by extension)')
    .option('--tag <tag>', 'tag the new version')
    .option('--keep <n>', 'keep only the newest N versions', positiveInt)
    .option('--attributes <json>', 'attributes to merge, a JSON object', jsonObject)
    .action(action(streams, async (ctx, [file, name]) => await put(ctx, file as string, name as string)))
  group
    .command('get')
    .description('write a dataset (selectors allowed: "iris[^target]", "iris@2") to a file, in the format of its extension')
    .argument('<name>')
    .argument('<file>')
    .option('--format <format>', 'csv, arrow, arrows, parquet, json or file (default: by extension)')
    .action(action(streams, async (ctx, [name, file]) => await get(ctx, name as string, file as string)))
  addStoreCommands(group, streams, (om) => om.datasets, (om) => om.datasets)
}

async function put(ctx: ActionContext, file: string, name: string): Promise<void> {
  const size = await requireFile(file)
  const om = await ctx.omega()
  const format = formatOf(file, ctx.opts.format as string | undefined)
  const common = {
    ...(ctx.opts.append === true && { append: true }),
    ...(ctx.opts.tag !== undefined && { tag: ctx.opts.tag as string }),
    ...(ctx.opts.keep !== undefined && { keep: ctx.opts.keep as number }),
    ...(ctx.opts.attributes !== undefined && { attributes: ctx.opts.attributes as JsonObject }),
  }
  let meta
  if (format === 'csv') {
    const csv = ctx.opts.csv as Record<string, unknown>
    const unknown = Object.keys(csv).filter((k) => !CSV_KEYS.includes(k))
    if (unknown.length > 0) throw new UsageError(`unknown --csv option(s) ${unknown.join(', ')}: use ${CSV_KEYS.join(', ')}`)
    const delimiter = file.toLowerCase().endsWith('.tsv') ? { delimiter: '\t' } : {}
    const bar = startProgress(ctx.out, `import ${name}`, size, 'bytes')
    try {
      meta = await om.datasets.readCsv(file, name, { ...delimiter, ...csv, ...common, onProgress: (p) => bar.update(p.bytes) })
      bar.update(size)
    } finally {
      bar.stop()
    }
  } else if (format === 'arrow' || format === 'arrows' || format === 'parquet') {
    meta = await om.datasets.put(await readTableFile(file, format), name, common)
  } else if (format === 'json') {
    meta = await om.datasets.put(await readJsonFile(file), name, common)
  } else {
    meta = await om.datasets.put({ path: file }, name, common)
  }
  ctx.out.result(meta, `stored ${meta.name}@${meta.version} (${meta.kind}, ${meta.size} bytes)`)
}

async function get(ctx: ActionContext, name: string, file: string): Promise<void> {
  const om = await ctx.omega()
  const format = formatOf(file, ctx.opts.format as string | undefined)
  if (format === 'csv') {
    const bar = startProgress(ctx.out, `export ${name}`, 0)
    try {
      const written = await om.datasets.writeCsv(name, file, { onProgress: (p) => bar.update(p.rows, p.rows) })
      ctx.out.result({ name, file, ...written }, `wrote ${written.rows} rows to ${file}`)
    } finally {
      bar.stop()
    }
    return
  }
  const value = await om.datasets.get(name)
  const bytes = await encodeValue(value, format, name)
  await writeAtomic(file, bytes)
  ctx.out.result({ name, file, bytes: typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength }, `wrote ${name} to ${file}`)
}
