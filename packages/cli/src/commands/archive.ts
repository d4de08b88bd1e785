import { Option, type Command } from 'commander'
import { OmegaError } from '@omega/core'
import { action } from '../action.js'
import { positiveInt } from '../key-values.js'
import type { Streams } from '../output.js'
import { startProgress } from '../progress.js'

/** `omega export`, `omega import` and `omega fsck`: moving objects between stores, and checking a store. */
export function archiveCommands(program: Command, streams: Streams): void {
  program
    .command('export')
    .description('write objects to a directory or .tar.gz with a manifest of sha256 checksums')
    .argument('<path>', 'a directory to create, or a file ending .tar.gz / .tgz')
    .argument('<patterns...>', 'store prefix and name or glob: models/iris-*, data/iris, data/**')
    .addOption(new Option('--versions <which>', 'every live version, or only the latest').choices(['all', 'latest']).default('all'))
    .action(
      action(streams, async (ctx, [path, patterns]) => {
        const om = await ctx.omega()
        const bar = startProgress(ctx.out, 'export', 0, 'bytes')
        try {
          const report = await om.export(patterns as string[], path as string, {
            versions: ctx.opts.versions as 'all' | 'latest',
            onProgress: (p) => bar.update(p.bytes, p.totalBytes),
          })
          bar.stop()
          ctx.out.result(report, `exported ${report.objects} objects (${report.versions} versions, ${report.blobs} blobs, ${report.bytes} bytes) to ${report.path}`)
        } finally {
          bar.stop()
        }
      }),
    )
  program
    .command('import')
    .description('import an archive into the bucket of --bucket: every checksum is verified first, and nothing is imported unless all is')
    .argument('<path>', 'a directory or .tar.gz written by omega export')
    .option('--promote', 'add the archived versions as new versions on top of existing names, with attributes.promotedFrom')
    .action(
      action(streams, async (ctx, [path]) => {
        const om = await ctx.omega()
        const bar = startProgress(ctx.out, 'import', 0, 'bytes')
        try {
          const report = await om.import(path as string, { promote: ctx.opts.promote === true, onProgress: (p) => bar.update(p.bytes, p.totalBytes) })
          bar.stop()
          const lines = report.objects.map((o) => `${o.prefix}${o.name}${o.versions.length > 0 ? ` @${o.versions.join(',')}` : ''}`)
          ctx.out.result(report, `imported into bucket ${om.bucketName}:\n${lines.join('\n')}`)
        } finally {
          bar.stop()
        }
      }),
    )
  program
    .command('fsck')
    .description('check every blob and document of the store; exit code 2 (E_INTEGRITY) if anything is damaged')
    .option('--repair', 'remove what nothing references (orphans, stale temps)')
    .option('--grace-ms <ms>', 'with --repair: leave leftovers younger than this alone', positiveInt)
    .action(
      action(streams, async (ctx) => {
        const om = await ctx.omega()
        const report = await om.fsck({
          repair: ctx.opts.repair === true,
          ...(ctx.opts.graceMs !== undefined && { graceMs: ctx.opts.graceMs as number }),
        })
        const lines = report.problems.map((p) => `${p.kind}\t${p.name ?? p.key ?? ''}\t${p.detail}`)
        ctx.out.data(report, [`checked ${report.checked} blobs, ${report.bytes} bytes: ${report.problems.length} problem(s)`, ...lines].join('\n'))
        // Orphans and stale temps waste space but lose nothing: only damage fails the command.
        const damage = report.problems.filter((p) => p.kind === 'integrity' || p.kind === 'missing-blob' || p.kind === 'bad-document')
        if (damage.length > 0) throw new OmegaError('E_INTEGRITY', `fsck found ${damage.length} damaged object(s) or blob(s); see the report above`)
      }),
    )
}
