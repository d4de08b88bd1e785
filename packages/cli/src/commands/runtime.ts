import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Table, type RecordBatch } from 'apache-arrow'
import { Argument, type Command } from 'commander'
import { csvTables, type DataArg, type JsonObject, type JsonValue } from '@omega/core'
import { action, type ActionContext } from '../action.js'
import { collectKeyValue, positiveInt } from '../key-values.js'
import { UsageError, type Streams } from '../output.js'
import { humanResult, plain } from '../results.js'
import { addRunCommand } from './scripts.js'
import { startProgress, type Progress } from '../progress.js'
import { formatOf, readJsonFile, readTableFile } from '../table-files.js'

const OPERATIONS = ['fit', 'partialFit', 'predict', 'predictProba', 'transform', 'score', 'gridsearch'] as const
type Operation = (typeof OPERATIONS)[number]

/** `omega runtime model <name> <op> <X> [Y]`: one runtime call, its result printed or stored; `omega runtime script <name>` runs a script. */
export function runtimeCommand(program: Command, streams: Streams): void {
  const group = program.command('runtime').description('run models (fit, predict, score …) and scripts (SPEC §6)')
  group
    .command('model')
    .description('call a model; X and Y are dataset names (selectors allowed: "iris[^target]") or files (.csv, .arrow, .parquet, .json)')
    .argument('<name>', 'model name (name@3, name@production)')
    .addArgument(new Argument('<operation>').choices(OPERATIONS))
    .argument('<X>')
    .argument('[Y]')
    .option('--result <name>', 'predict: store the predictions as this dataset and print its metadata')
    .option('--param <key=value>', 'hyper-parameter or handler option (repeatable); gridsearch: key=[values…]', collectKeyValue, {})
    .option('--cv <folds>', 'gridsearch: folds', positiveInt)
    .option('--scoring <scorer>', 'gridsearch: accuracy, r2 or neg_mean_squared_error')
    .option('--timeout <ms>', 'reject with E_TIMEOUT after this many milliseconds', positiveInt)
    .action(action(streams, async (ctx, [name, op, x, y]) => await call(ctx, name as string, op as Operation, x as string, y as string | undefined)))
  addRunCommand(group.command('script'), streams)
}

/** A data argument: a file path that exists is read inline (nothing is stored); anything else is a dataset name. */
async function dataArg(text: string): Promise<DataArg> {
  const info = await stat(text).catch(() => undefined)
  if (!info?.isFile()) return text
  const format = formatOf(text)
  if (format === 'arrow' || format === 'arrows' || format === 'parquet') return await readTableFile(text, format)
  if (format === 'json') return (await readJsonFile(text)) as DataArg
  if (format === 'csv') {
    const batches: RecordBatch[] = []
    for await (const table of csvTables(createReadStream(text), {})) batches.push(...table.batches)
    return new Table(batches)
  }
  return text
}

async function call(ctx: ActionContext, name: string, op: Operation, xText: string, yText: string | undefined): Promise<void> {
  const om = await ctx.omega()
  const X = await dataArg(xText)
  const Y = yText === undefined ? undefined : await dataArg(yText)
  const params = ctx.opts.param as JsonObject
  // Drawn only once the call reports progress (chunks, folds, epochs): a quick predict draws nothing.
  let bar: Progress | undefined
  const options = {
    ...(Object.keys(params).length > 0 && op !== 'gridsearch' && { params }),
    ...(ctx.opts.timeout !== undefined && { timeoutMs: ctx.opts.timeout as number }),
    onProgress: (p: { done: number; total?: number }) => {
      bar ??= startProgress(ctx.out, `${op} ${name}`, p.total ?? p.done)
      bar.update(p.done, p.total)
    },
  }
  const model = om.runtime.model(name)
  const needY = (): DataArg => {
    if (Y === undefined) throw new UsageError(`${op} needs Y: omega runtime model ${name} ${op} <X> <Y>`)
    return Y
  }
  let result: unknown
  try {
    switch (op) {
      case 'fit':
        result = await model.fit(X, Y, options)
        break
      case 'partialFit':
        result = await model.partialFit(X, Y, options)
        break
      case 'predict': {
        const rName = ctx.opts.result as string | undefined
        result = rName === undefined ? await model.predict(X, options) : await model.predict(X, { ...options, rName })
        break
      }
      case 'predictProba':
        result = await model.predictProba(X, options)
        break
      case 'transform':
        result = await model.transform(X, options)
        break
      case 'score':
        result = await model.score(X, needY(), options)
        break
      case 'gridsearch':
        result = await model.gridsearch(X, needY(), {
          params: params as Record<string, JsonValue[]>,
          ...(ctx.opts.cv !== undefined && { cv: ctx.opts.cv as number }),
          ...(ctx.opts.scoring !== undefined && { scoring: ctx.opts.scoring as string }),
        }, options)
        break
    }
  } finally {
    bar?.stop()
  }
  const shown = plain(result)
  ctx.out.data({ model: name, result: shown }, humanResult(shown))
}
