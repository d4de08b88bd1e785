// Writes a valid ONNX model of about `megabytes` MB: Y = Identity(X) plus a large float initializer,
// encoded by hand in protobuf (length-delimited fields need their lengths first; the payload streams).
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'

function varint(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return out
}
const key = (field: number, wire: number): number[] => varint(field * 8 + wire)
const bytes = (field: number, body: number[] | Uint8Array): number[] => [...key(field, 2), ...varint(body.length), ...body]
const text = (field: number, s: string): number[] => bytes(field, [...new TextEncoder().encode(s)])
const num = (field: number, n: number): number[] => [...key(field, 0), ...varint(n)]

/** ValueInfoProto for a float tensor of shape [N]. */
function valueInfo(name: string): number[] {
  const dim = bytes(1, text(2, 'N'))
  const shape = bytes(2, dim)
  const tensorType = bytes(1, [...num(1, 1), ...shape])
  return [...text(1, name), ...bytes(2, tensorType)]
}

export async function writeLargeModel(path: string, megabytes: number): Promise<number> {
  const floats = Math.floor((megabytes * 1024 * 1024) / 4)
  const rawLength = floats * 4
  const initHead = [...num(1, floats), ...num(2, 1), ...text(8, 'W')]
  const initializerLength = initHead.length + key(9, 2).length + varint(rawLength).length + rawLength
  const node = bytes(1, [...text(1, 'X'), ...text(2, 'Y'), ...text(4, 'Identity')])
  const graphHead = [...node, ...text(2, 'large'), ...key(5, 2), ...varint(initializerLength), ...initHead, ...key(9, 2), ...varint(rawLength)]
  const graphTail = [...bytes(11, valueInfo('X')), ...bytes(12, valueInfo('Y'))]
  const graphLength = graphHead.length + rawLength + graphTail.length
  const header = [...num(1, 8), ...text(2, 'omega-large-test'), ...bytes(8, [...text(1, ''), ...num(2, 13)]), ...key(7, 2), ...varint(graphLength)]
  const out = createWriteStream(path)
  const write = async (chunk: Uint8Array): Promise<void> => {
    if (!out.write(chunk)) await once(out, 'drain')
  }
  await write(Uint8Array.from([...header, ...graphHead]))
  const block = new Uint8Array(4 * 1024 * 1024)
  for (let left = rawLength; left > 0; left -= block.length) await write(left >= block.length ? block : block.subarray(0, left))
  await write(Uint8Array.from(graphTail))
  out.end()
  await once(out, 'finish')
  return header.length + graphLength
}
