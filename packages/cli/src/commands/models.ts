import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import { errors, type JsonObject } from '@omega/core'
import { action } from '../action.js'
import { jsonObject } from '../key-values.js'
import { toJsonText, type Streams } from '../output.js'
import { requireFile, writeAtomic } from '../table-files.js'
import { addStoreCommands } from './store-commands.js'

/** `omega models …`: put a model file (ONNX), get its stored bytes back, plus the shared store commands. */
export function modelsCommand(program: Command, streams: Streams): void {
  const group = program.command('models').description('models: every put is a new version (name, name@3, name@production, name^)')
  group
    .command('put')
    .description('store a model file (an .onnx file with @omega/onnx installed) as a new version')
    .argument('<file>')
    .argument('<name>')
    .option('--tag <tag>', 'tag the new version')
    .option('--attributes <json>', 'attributes to merge, a JSON object', jsonObject)
    .action(
      action(streams, async (ctx, [file, name]) => {
        await requireFile(file as string)
        const om = await ctx.omega()
        const meta = await om.models.put({ path: file as string }, name as string, {
          ...(ctx.opts.tag !== undefined && { tag: ctx.opts.tag as string }),
          ...(ctx.opts.attributes !== undefined && { attributes: ctx.opts.attributes as JsonObject }),
        })
        ctx.out.result(meta, `stored ${meta.name}@${meta.version} (${meta.kind}, ${meta.size} bytes)`)
      }),
    )
  group
    .command('get')
    .description("write a version's stored bytes: one file for a single-part model (an .onnx file), else a directory of parts plus metadata.json")
    .argument('<name>')
    .argument('<path>')
    .action(
      action(streams, async (ctx, [name, path]) => {
        const om = await ctx.omega()
        const meta = await om.models.metadata(name as string)
        if (!meta) throw errors.notFound('model', name as string, om.bucketName, 'list models with omega models list')
        const parts = await om.models.parts(meta)
        const names = Object.keys(parts)
        if (names.length === 1) {
          await writeAtomic(path as string, parts[names[0]!]!)
        } else {
          await mkdir(path as string, { recursive: true })
          // Part names are data: keep each inside the directory.
          for (const part of names) await writeAtomic(join(path as string, part.replace(/[\\/]|^\.+/g, '_')), parts[part]!)
          await writeAtomic(join(path as string, 'metadata.json'), toJsonText(meta, 2))
        }
        ctx.out.result({ name: meta.name, version: meta.version, path, parts: names }, `wrote ${meta.name}@${meta.version} to ${path as string}`)
      }),
    )
  addStoreCommands(group, streams, (om) => om.models, (om) => om.models)
}
