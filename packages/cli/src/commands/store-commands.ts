import type { Command } from 'commander'
import { errors, type ObjectStore, type Omega, type VersionedStore } from '@omega/core'
import { action, openOmega } from '../action.js'
import type { Streams } from '../output.js'

/** Picks the store a group works on (`om.models`, `om.datasets`, `om.scripts`). */
export type StorePicker = (om: Omega) => ObjectStore

/** What the stores' objects are called in messages. */
const NOUNS: Readonly<Record<string, string>> = { models: 'model', datasets: 'dataset', scripts: 'script' }

/**
 * The subcommands the store groups share, one implementation for all: list, metadata, drop and
 * promote; revisions and tag for the versioned stores (models, datasets).
 */
export function addStoreCommands(group: Command, streams: Streams, pick: StorePicker, versions?: (om: Omega) => VersionedStore): void {
  group
    .command('list')
    .description('names (or metadata with --raw), sorted; a glob selects')
    .argument('[pattern]', 'glob, e.g. "iris*"')
    .option('--raw', 'print metadata instead of names')
    .option('--hidden', 'include hidden (.x) and temp (_x) names')
    .action(
      action(streams, async (ctx, [pattern]) => {
        const store = pick(await ctx.omega())
        const options = { hidden: ctx.opts.hidden === true, includeTemp: ctx.opts.hidden === true }
        if (ctx.opts.raw === true) ctx.out.data(await store.list(pattern as string | undefined, { ...options, raw: true }))
        else ctx.out.data(await store.list(pattern as string | undefined, options))
      }),
    )
  group
    .command('metadata')
    .description(versions ? 'metadata of a version (name, name@3, name@tag, name^)' : 'metadata (kindMeta holds the manifest)')
    .argument('<name>')
    .action(
      action(streams, async (ctx, [name]) => {
        const store = pick(await ctx.omega())
        const meta = await store.metadata(name as string)
        if (!meta) throw errors.notFound(NOUNS[store.store] ?? store.store, name as string, store.bucket)
        ctx.out.data(meta)
      }),
    )
  if (versions) {
    group
      .command('revisions')
      .description('every version with its tags, sha256, parent and attributes')
      .argument('<name>')
      .action(
        action(streams, async (ctx, [name]) => {
          const revisions = await versions(await ctx.omega()).revisions(name as string)
          ctx.out.data(revisions, revisions.map((r) => `${r.version}\t${r.createdAt}\t${r.sha256.slice(0, 12)}\t${r.tags.join(',')}`).join('\n'))
        }),
      )
    group
      .command('tag')
      .description('point a tag at a version (moves it if it pointed elsewhere)')
      .argument('<name>', 'name@version or name')
      .argument('<tag>')
      .action(
        action(streams, async (ctx, [name, tag]) => {
          const meta = await versions(await ctx.omega()).tag(name as string, tag as string)
          ctx.out.result(meta, `${meta.name}@${meta.version} tagged ${tag as string}`)
        }),
      )
  }
  group
    .command('drop')
    .description(versions ? 'drop a name (every version), one version (name@2), or every match of a glob' : 'drop a name, or every match of a glob')
    .argument('<name>')
    .option('-f, --force', 'no error if nothing matches')
    .action(
      action(streams, async (ctx, [name]) => {
        const dropped = await pick(await ctx.omega()).drop(name as string, { force: ctx.opts.force === true })
        ctx.out.result(dropped, `dropped ${name as string}`)
      }),
    )
  group
    .command('promote')
    .description(versions ? 'copy a version into another bucket or another store as a new version there' : 'copy into another bucket or another store')
    .argument('<name>')
    .requiredOption('--to <url-or-bucket>', 'a bucket of this store, or a store URL (fs:/srv/prod, level:./other)')
    .option('--to-bucket <bucket>', 'the bucket in the target store (with a store URL)')
    .option('--as <name>', 'the name in the target')
    .action(
      action(streams, async (ctx, [name]) => {
        const om = await ctx.omega()
        const to = ctx.opts.to as string
        const other = /^[a-z][a-z0-9+.-]*:/i.test(to) ? await openOmega(ctx.globals, to, (ctx.opts.toBucket as string | undefined) ?? 'default') : undefined
        try {
          const target = pick(other ?? om.bucket(to))
          const asname = ctx.opts.as as string | undefined
          const meta = await pick(om).promote(name as string, target, asname === undefined ? {} : { asname })
          ctx.out.result(meta, `promoted ${name as string} to ${to} as ${meta.name}@${meta.version}`)
        } finally {
          await other?.close()
        }
      }),
    )
}
