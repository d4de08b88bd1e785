import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@omega/conformance'
import { S3RVER_CREDENTIALS, startS3TestServer } from '../packages/backends/s3/test/harness/s3-test-server.js'
import { redisMissing, startRedis } from '../packages/runtimes/bullmq/test/harness/redis-test-server.js'

const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx')

function run(example: string, env: Record<string, string> = {}): string {
  return execFileSync(tsx, [join(import.meta.dirname, example)], {
    encoding: 'utf8',
    env: { ...process.env, OMEGA_HOME: tempDir('omega-example-'), ...env },
    timeout: 120_000,
  })
}

describe('examples', () => {
  it('quickstart stores iris and a random forest, and prints real predictions', () => {
    const out = run('quickstart.ts')
    expect(out).toMatch(/stored iris \(150 rows\) and iris-rf version 1 \(mljs\.RandomForestClassifier/)
    expect(out).toContain('row 0: features [5.1,3.5,1.4,0.2] -> predicted 0, actual 0')
    expect(out).toMatch(/row 50: .* -> predicted 1, actual 1/)
    expect(out).toMatch(/row 100: .* -> predicted 2, actual 2/)
  })

  it('datasets: CSV in, selectors, filter, append, iterate', () => {
    const out = run('datasets.ts')
    expect(out).toMatch(/^wine: 178 rows, 4 batches/m)
    expect(out).toContain('wine[alcohol,target] -> alcohol:Float64, target:Int32')
    expect(out).toContain('wine[^target] -> 13 feature columns')
    expect(out).toContain('wine[alcohol:ash] -> alcohol, malic_acid, ash')
    expect(out).toMatch(/alcohol >= 14\.2 and class 0\/1: \d+ rows/)
    expect(out).toContain('iterchunks of 64 rows -> 64, 64, 50')
    expect(out).toContain('rows 10..12 -> [ 14.1, 14.12, 13.75 ]')
  })
  it('promote: versions, tags, dev → prod promotion and lineage', () => {
    const out = run('promote.ts')
    expect(out).toMatch(/dev iris-rf@1 parent=null tags=\[\]/)
    expect(out).toMatch(/dev iris-rf@3 parent=2 tags=\[production\]/)
    expect(out).toContain('promoted to prod as iris-rf@1, promotedFrom={"bucket":"dev","name":"iris-rf","sha256"')
    expect(out).toMatch(/"version":3/)
    expect(out).toContain('prod predicts [0,1,2] for rows 0, 75, 149')
    expect(out).toMatch(/self +prod\/iris-rf@1 fitted on .*\n +promotedFrom +dev\/iris-rf@3 fitted on \{"Xname":"iris\[\^target\]"/)
    expect(out).toMatch(/parent +dev\/iris-rf@2 fitted on .*\n +parent +dev\/iris-rf@1\n/)
  })
  it('runtime: put unfitted, fit by name, predict, ^ back to the unfitted version, gridsearch', () => {
    const out = run('runtime.ts')
    expect(out).toMatch(/fit -> mymodel@2 \(parent 1\), dataset \{"Xname":"mydata\[\^target\]"/)
    expect(out).toContain('predict rows 48..51 -> [ 0, 0, 1, 1 ]')
    expect(out).toContain('predict inline -> [ 0, 2 ]')
    expect(out).toMatch(/predictions stored as dataset "predictions" \(150 rows\)/)
    expect(out).toContain('mymodel^ is version 1, fitted: false')
    expect(out).toContain("predict on mymodel^ -> E_UNSUPPORTED")
    expect(out).toMatch(/gridsearch -> tree@2, best \{"maxDepth":\d\} with accuracy 0\.9\d\d/)
  })
  it('retrain: batches arrive as appends, a refit per version, an earlier model reproduced exactly, lineage', () => {
    const out = run('retrain.ts')
    expect(out).toMatch(/batch 1: iris@1 \(50 rows\) -> iris-rf@2 fitted on iris@1, 50 rows/)
    expect(out).toMatch(/batch 2: iris@2 \(100 rows\) -> iris-rf@3 fitted on iris@2, 100 rows/)
    expect(out).toMatch(/batch 3: iris@3 \(150 rows\) -> iris-rf@4 fitted on iris@3, 150 rows/)
    expect(out).toMatch(/refit iris-rf@2 -> iris-rf@5: \{"version":2,"sha256":"[0-9a-f]{64}","same":true\}/)
    expect(out).toContain('identical bytes: true')
    expect(out).toContain('same predictions on iris@1[^target]: true')
    expect(out).toMatch(/iris@3 parent=2/)
    expect(out).toMatch(/self +iris-rf@5 fitted on iris\[\^target\] @1, iris\[target\] @1\n +parent +iris-rf@1\n/)
  })
  it('onnx: put the fixture MLP, predict on a dataset by name, refuse to fit', () => {
    const out = run('onnx.ts')
    expect(out).toMatch(/cancer-mlp@1: \d+ bytes, producer \{"name":"pytorch"/)
    expect(out).toContain('"name":"X","type":"float32","shape":["N",30]')
    expect(out).toMatch(/predicted 569 rows on the pool; accuracy vs target: 0\.9\d\d/)
    expect(out).toMatch(/row 0 in-process -> \[ [01] \]/)
    expect(out).toContain('fit -> E_UNSUPPORTED: onnx.model models cannot fit')
  })
  it('scheduled-report: a stored script summarises a dataset into a new one every minute (injected clock), with its run history', () => {
    const out = run('scheduled-report.ts')
    expect(out).toMatch(/stored script sales-summary: entry sales-summary\.mjs, sha256 [0-9a-f]{12}/)
    expect(out).toContain('scheduled sales-summary: cron "* * * * *" = every minute (UTC)')
    expect(out).toContain('next three runs after 2026-01-01T06:00:00.000Z: 2026-01-01T06:01:00.000Z, 2026-01-01T06:02:00.000Z, 2026-01-01T06:03:00.000Z')
    expect(out).toMatch(/east +orders 12 +total \d+ +mean [\d.]+\n +north +orders 12/)
    expect(out).toMatch(/direct run: \d+ ms -> dataset sales-by-region-now/)
    expect(out).toContain('failing run -> E_NOT_FOUND')
    expect(out).toMatch(/success job 2026-01-01T06:00:00\.000Z on pool -> sales-by-region\n +success job 2026-01-01T06:01:00\.000Z on pool -> sales-by-region\n +success job 2026-01-01T06:02:00\.000Z on pool -> sales-by-region\n +success direct +on pool -> sales-by-region-now\n +failed +direct +on pool -> E_NOT_FOUND/)
  })
  it('monitoring: track with capture, restore exactly the inputs seen, a drift report that flags only the shifted column', () => {
    const out = run('monitoring.ts')
    expect(out).toContain('fit energy@2 on sensors (1000 rows)')
    expect(out).toMatch(/^run 3: predicted 200 rows/m)
    expect(out).toContain('captured inputs: 600 rows, columns temperature, humidity, pressure')
    expect(out).toMatch(/^humidity +ks .* drift: true$/m)
    expect(out).toMatch(/^temperature +ks .* drift: false$/m)
    expect(out).toMatch(/^pressure +ks .* drift: false$/m)
    expect(out).toContain('drift: true (humidity)')
    expect(out).toMatch(/ALERT: drift on energy/)
    expect(out).toContain('capture lost 0 events')
  })
  it('shared-store: a trainer and a predictor process share one S3 store (s3rver behind the test-only conditional-write gateway)', async () => {
    const server = await startS3TestServer({ buckets: ['omega-examples'] })
    try {
      const out = run('shared-store.ts', {
        OMEGA_S3_STORE: 's3://omega-examples/shared',
        AWS_ENDPOINT_URL_S3: server.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      })
      expect(out).toMatch(/\[trainer\] put iris \(150 rows\), fitted iris-rf@2, tagged serving/)
      expect(out).toMatch(/\[predictor\] found iris-rf@2 \(fitted on "iris\[\^target\]"\)/)
      expect(out).toMatch(/\[predictor\] rows 0, 75, 149 -> \[0,1,2\]; accuracy (0\.9\d\d|1\.000)/)
      expect(out).toContain('store s3://omega-examples/shared: models ["iris-rf"], datasets ["iris"]')
    } finally {
      await server.stop()
    }
  }, 120_000)

  it.skipIf(redisMissing() !== undefined)('cluster: Redis-backed worker processes fit and predict on an S3 store, each task logged by the worker that ran it', async () => {
    const server = await startS3TestServer({ buckets: ['omega-cluster'] })
    const redis = await startRedis()
    try {
      const out = run('cluster.ts', {
        OMEGA_S3_STORE: 's3://omega-cluster/demo',
        OMEGA_REDIS: redis.url,
        AWS_ENDPOINT_URL_S3: server.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      })
      expect(out).toContain('[worker-2] serving omega, omega.gpu')
      expect(out).toMatch(/\[worker-2\] worker-2 ran fit:iris-rf@1 \(job \S+, queue omega\.gpu\) in \d+ ms: ok/)
      expect(out).toContain('fitted iris-rf@2 on a "gpu" worker')
      expect(out).toContain('predicted [0,1,2] for rows of setosa, versicolor, virginica')
      expect(out).toMatch(/\[worker-\d\] worker-\d ran predict:iris-rf@2/)
      expect(out).toContain('predicted all 150 rows by name; store s3://omega-cluster/demo')
    } finally {
      await redis.stop()
      await server.stop()
    }
  }, 120_000)

  it('tfjs: put an unfitted network, fit it on the pool by dataset name, predict, score, partialFit', () => {
    const out = run('tfjs.ts')
    expect(out).toMatch(/cancer-net@1: tfjs\.layers, compiled true, 2568 weight bytes/)
    expect(out).toMatch(/fitted cancer-net@2 on the pool \((cpu|wasm)\): loss 0\.\d+ -> 0\.\d+, val_acc 0\.[89]\d\d after 20 epochs/)
    expect(out).toMatch(/predicted 569 rows; accuracy vs target: 0\.9\d\d/)
    expect(out).toMatch(/row 0 in-process on cpu: the same probability as on the pool/)
    expect(out).toContain('partialFit over 3 chunks -> cancer-net@3')
    expect(out).toContain('predict 3 features -> E_DATA_SHAPE')
  })
})
