import cliProgress from 'cli-progress'
import type { Output } from './output.js'

/** A progress bar on stderr, or nothing at all when stderr is not a terminal (pipes, CI logs, `--json`). */
export interface Progress {
  update(value: number, total?: number): void
  stop(): void
}

const NONE: Progress = { update: () => undefined, stop: () => undefined }

/**
 * Starts a bar for long work (a CSV import, an export, a fit with epochs). `unit` names what is
 * counted; byte counts are shown in MB.
 */
export function startProgress(out: Output, label: string, total: number, unit: 'bytes' | 'steps' = 'steps'): Progress {
  if (!out.interactive) return NONE
  const scale = unit === 'bytes' ? 1 / 1e6 : 1
  const suffix = unit === 'bytes' ? ' MB' : ''
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {value}/{total}${suffix}`, stream: out.streams.stderr as NodeJS.WriteStream, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  )
  const round = (n: number): number => (unit === 'bytes' ? Math.round(n * scale * 10) / 10 : n)
  bar.start(round(Math.max(total, 1)), 0)
  return {
    update(value, newTotal) {
      if (newTotal !== undefined) bar.setTotal(round(Math.max(newTotal, 1)))
      bar.update(round(value))
    },
    stop() {
      bar.stop()
    },
  }
}
