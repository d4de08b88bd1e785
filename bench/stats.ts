/** Timing helpers shared by the benchmark scopes. */

/** Runs `fn` `warmup` times untimed, then `n` times timed; returns per-call milliseconds. */
export async function sample(n: number, warmup: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    await fn(warmup + i)
    out.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  return out
}

/** The q-quantile (0..1) of samples. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

export const p50 = (s: readonly number[]): number => quantile(s, 0.5)
export const p99 = (s: readonly number[]): number => quantile(s, 0.99)

/** A row of the printed table. */
export type Row = Record<string, string | number>

/** Formats milliseconds with sensible precision. */
export function ms(v: number): string {
  return v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3)
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`
}

/** Prints rows as a Markdown table (pasteable into the README). */
export function printTable(title: string, rows: readonly Row[]): void {
  if (rows.length === 0) return
  const cols = Object.keys(rows[0]!)
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`
  console.log(`\n### ${title}\n`)
  console.log(line(cols))
  console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))))
}
