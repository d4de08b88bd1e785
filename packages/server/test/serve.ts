// Test helpers: a real Omega on a temp fs store, a real server on a random loopback port, real fetch.
import { readFileSync } from 'node:fs'
import { tempDir } from '@omega/conformance'
import { Omega } from '@omega/omega'
import { createServer, type OmegaServer, type ServerOptions } from '@omega/server'

export const IRIS_ONNX = new URL('../../../fixtures/onnx/logreg_iris.onnx', import.meta.url)
export const IRIS_CSV = new URL('../../../fixtures/datasets/iris.csv', import.meta.url).pathname

export interface Served {
  readonly om: Omega
  readonly server: OmegaServer
  readonly url: string
  call(method: string, path: string, init?: { body?: unknown; raw?: BodyInit; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; json: any }>
  close(): Promise<void>
}

export async function serve(options: ServerOptions = {}, om?: Omega): Promise<Served> {
  const omega = om ?? (await Omega.open({ store: `fs:${tempDir('omega-server-')}`, runtime: 'inline' }))
  const server = await createServer(omega, options)
  const url = await server.listen({ port: 0, host: '127.0.0.1' })
  return {
    om: omega,
    server,
    url,
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers }
      let body: BodyInit | undefined = init.raw
      if (init.body !== undefined) {
        body = JSON.stringify(init.body)
        headers['content-type'] ??= 'application/json'
      }
      const res = await fetch(url + path, { method, headers, ...(body !== undefined && { body }) })
      const type = res.headers.get('content-type') ?? ''
      const json = type.includes('json') ? await res.json() : new Uint8Array(await res.arrayBuffer())
      return { status: res.status, headers: res.headers, json }
    },
    async close() {
      await server.close()
      if (!om) await omega.close()
    },
  }
}

export async function withIris(om: Omega): Promise<void> {
  await om.models.put(new Uint8Array(readFileSync(IRIS_ONNX)), 'iris/logreg')
  await om.datasets.readCsv(IRIS_CSV, 'iris')
}

export const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']
