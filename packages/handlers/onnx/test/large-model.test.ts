// [slow] A large ONNX file put by { path } is validated by onnxruntime from the file and streamed
// into storage: omega never holds it in JavaScript memory. (A single-file ONNX model cannot exceed
// protobuf's 2 GB limit; larger models use external data, which omega does not store yet.)
import { execFileSync } from 'node:child_process'
import { rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@omega/conformance'
import { describe, expect, it, onTestFinished } from 'vitest'
import { writeLargeModel } from './large-model.js'

const core = new URL('../../../core/dist/index.js', import.meta.url).href
const onnx = new URL('../dist/index.js', import.meta.url).href
const fs = new URL('../../../backends/fs/dist/index.js', import.meta.url).href

describe('[slow] a large ONNX model by path', () => {
  it('streams 300 MB into storage with JS buffer memory staying small', { timeout: 180_000 }, async () => {
    const dir = tempDir('omega-onnx-large-')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'large.onnx')
    const size = await writeLargeModel(path, 300)
    expect(statSync(path).size).toBe(size)
    const script = `
      import { Omega } from ${JSON.stringify(core)}
      const om = await Omega.open({ store: 'fs:' + process.argv[2], plugins: [${JSON.stringify(onnx)}, ${JSON.stringify(fs)}], fs: { fsync: false } })
      let peak = 0
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5)
      const meta = await om.models.put({ path: process.argv[1] }, 'large')
      clearInterval(timer)
      peak = Math.max(peak, process.memoryUsage().arrayBuffers)
      const model = await om.models.get('large')
      const y = await model.predict([1.5, -2])
      console.log(JSON.stringify({ size: meta.size, sha: meta.sha256, kindSha: meta.kindMeta.sha256, opsets: meta.kindMeta.opsets, peak, y: y.toArray() }))
      await model.close()
      await om.close()
    `
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script, path, join(dir, 'store')], { encoding: 'utf8', maxBuffer: 1 << 20 })) as {
      size: number
      sha: string
      kindSha: string
      opsets: Record<string, number>
      peak: number
      y: number[]
    }
    expect(out.size).toBe(size)
    expect(out.kindSha).toBe(out.sha)
    expect(out.opsets).toEqual({ '': 13 })
    expect(out.y).toEqual([1.5, -2])
    expect(out.peak).toBeLessThan(size / 4)
    console.log(`large ONNX: ${(size / 2 ** 20).toFixed(0)} MB file, peak JS buffer memory during put ${(out.peak / 2 ** 20).toFixed(1)} MB`)
  })
})
