import { open } from 'node:fs/promises'

/** What an ONNX file says about itself, outside its graph. */
export interface OnnxHeader {
  readonly irVersion?: number
  readonly producerName?: string
  readonly producerVersion?: string
  /** Operator-set imports: domain ('' is the default ai.onnx domain) → version. */
  readonly opsets: Record<string, number>
}

/** Random access to bytes: a buffer in memory or a file on disk. */
type Read = (offset: number, length: number) => Promise<Uint8Array>

/**
 * Reads the top-level fields of an ONNX ModelProto (ir_version = 1, producer_name = 2,
 * producer_version = 3, opset_import = 8) by walking protobuf keys and skipping every other field
 * by its length, so the graph (field 7, nearly all of a large file) is never read. This needs
 * only the protobuf wire format, not ONNX's schema, hence no protobuf dependency.
 */
export async function readOnnxHeader(source: Uint8Array | { path: string }): Promise<OnnxHeader> {
  if (source instanceof Uint8Array) return await walk(async (o, n) => source.subarray(o, o + n), source.byteLength)
  const handle = await open(source.path, 'r')
  try {
    const size = (await handle.stat()).size
    return await walk(async (o, n) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(n, size - o)))
      await handle.read(buf, 0, buf.length, o)
      return buf
    }, size)
  } finally {
    await handle.close()
  }
}

async function walk(read: Read, size: number): Promise<OnnxHeader> {
  const opsets: Record<string, number> = {}
  const out: { irVersion?: number; producerName?: string; producerVersion?: string } = {}
  let offset = 0
  while (offset < size) {
    const head = await read(offset, Math.min(20, size - offset))
    const [key, keyLen] = varint(head, 0)
    const field = Math.floor(key / 8)
    const wire = key % 8
    offset += keyLen
    if (wire === 0) {
      const [value, len] = varint(head, keyLen)
      if (field === 1) out.irVersion = value
      offset += len
    } else if (wire === 2) {
      const [length, len] = varint(head, keyLen)
      offset += len
      if (field === 2 || field === 3 || field === 8) {
        const body = await read(offset, length)
        if (field === 2) out.producerName = new TextDecoder().decode(body)
        else if (field === 3) out.producerVersion = new TextDecoder().decode(body)
        else {
          const opset = operatorSet(body)
          opsets[opset.domain] = opset.version
        }
      }
      offset += length
    } else if (wire === 1) offset += 8
    else if (wire === 5) offset += 4
    else break
  }
  return { ...out, opsets }
}

/** OperatorSetIdProto: domain = 1 (string), version = 2 (int64). */
function operatorSet(body: Uint8Array): { domain: string; version: number } {
  let domain = ''
  let version = 0
  let at = 0
  while (at < body.length) {
    const [key, kl] = varint(body, at)
    at += kl
    if (key % 8 === 2) {
      const [len, ll] = varint(body, at)
      at += ll
      if (Math.floor(key / 8) === 1) domain = new TextDecoder().decode(body.subarray(at, at + len))
      at += len
    } else if (key % 8 === 0) {
      const [value, vl] = varint(body, at)
      if (Math.floor(key / 8) === 2) version = value
      at += vl
    } else break
  }
  return { domain, version }
}

function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0
  let scale = 1
  for (let i = 0; i < 10 && at + i < bytes.length; i++) {
    const b = bytes[at + i]!
    value += (b & 0x7f) * scale
    scale *= 128
    if ((b & 0x80) === 0) return [value, i + 1]
  }
  return [value, 10]
}
