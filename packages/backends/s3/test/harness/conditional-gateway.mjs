// TEST-ONLY S3 CONDITIONAL-WRITE GATEWAY. Not a server, not for production, not a model of S3.
//
// s3rver 3.7.1 (the real S3-protocol server process the tests run) ignores If-None-Match/If-Match
// on writes and lacks ListMultipartUploads and AbortMultipartUpload. This HTTP layer sits in front
// of it and forwards every request unchanged, except that it adds exactly those missing parts,
// following AWS's documented semantics:
//   - PutObject, CompleteMultipartUpload, DeleteObject with `If-None-Match: *` answer
//     412 PreconditionFailed when the key exists; with `If-Match: <etag>` answer 404 NoSuchKey when
//     it does not exist and 412 PreconditionFailed when its ETag differs (quotes ignored, `*` any);
//     requests on one key are serialised, so of concurrent conditional writers exactly one wins
//     (and, as on S3, no reader sees a half-replaced object: s3rver rewrites files in place).
//   - In buckets listed in `unconditionalDeleteBuckets`, DELETE ignores If-Match (as a service
//     that documents conditional headers for writes only, such as Cloudflare R2, would).
//   - 409 ConditionalRequestConflict for the next N conditional requests when a test asks for it
//     (POST /__gateway/conflicts?n=N), to exercise the client's retry of that answer.
//   - ListMultipartUploads (GET /<bucket>?uploads) and AbortMultipartUpload
//     (DELETE /<bucket>/<key>?uploadId=…), read from and applied to s3rver's upload directory.
// It also counts requests per S3 operation and bytes per direction (GET /__gateway/stats;
// DELETE /__gateway/stats resets), for benchmarks and tests that check request counts.
import { createServer, request as httpRequest } from 'node:http'
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Starts the gateway on `port` (0: any free one) in front of s3rver at `upstreamPort`; resolves to the server. */
export async function startGateway({ port, upstreamPort, directory, unconditionalDeleteBuckets = [] }) {
  const locks = new Map()
  const stats = { requests: {}, bytesIn: 0, bytesOut: 0 }
  let conflicts = 0

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/xml' })
        res.end(errorXml('InternalError', String(err?.message ?? err)))
      } else res.destroy()
    })
  })

  async function handle(req, res) {
    const url = new URL(req.url, 'http://gateway')
    if (url.pathname === '/__gateway/stats') {
      if (req.method === 'DELETE') Object.assign(stats, { requests: {}, bytesIn: 0, bytesOut: 0 })
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify(stats))
    }
    if (url.pathname === '/__gateway/conflicts') {
      conflicts = Number(url.searchParams.get('n') ?? '1')
      res.writeHead(204)
      return res.end()
    }
    const [, bucket = '', ...rest] = url.pathname.split('/')
    const key = rest.map(decodeURIComponent).join('/')
    const op = operation(req.method, url, key, req.headers)
    stats.requests[op] = (stats.requests[op] ?? 0) + 1

    if (op === 'ListMultipartUploads') return listUploads(res, bucket, url.searchParams.get('prefix') ?? '')
    if (op === 'AbortMultipartUpload') return abortUpload(res, bucket, url.searchParams.get('uploadId'))

    const ifMatch = op === 'DeleteObject' && unconditionalDeleteBuckets.includes(bucket) ? undefined : req.headers['if-match']
    const ifNoneMatch = req.headers['if-none-match']
    const conditional = (ifMatch !== undefined || ifNoneMatch !== undefined) && ['PutObject', 'CompleteMultipartUpload', 'DeleteObject'].includes(op)
    if (conditional && conflicts > 0) {
      conflicts--
      return reply(res, 409, 'ConditionalRequestConflict', 'A conflicting conditional operation is currently in progress against this resource. Please try again.')
    }
    if (!key || op === 'UploadPart') return forward(req, res)
    // s3rver rewrites an object's file in place, so a reader could see half of it; S3 replaces
    // objects atomically. Requests on one key are serialised here to keep that S3 guarantee.
    const lockKey = `${bucket}/${key}`
    const previous = locks.get(lockKey) ?? Promise.resolve()
    let release
    const mine = previous.then(() => new Promise((r) => (release = r)))
    locks.set(lockKey, mine)
    await previous
    try {
      if (conditional) {
        const current = await headEtag(req.headers, url.pathname)
        if (ifNoneMatch !== undefined && ifNoneMatch.trim() === '*' && current !== undefined) {
          return reply(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold')
        }
        if (ifMatch !== undefined) {
          if (current === undefined) return reply(res, 404, 'NoSuchKey', 'The specified key does not exist.')
          const wanted = ifMatch.split(',').map(unquote)
          if (!wanted.includes('*') && !wanted.includes(unquote(current))) {
            return reply(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold')
          }
        }
      }
      await forward(req, res)
    } finally {
      release()
      if (locks.get(lockKey) === mine) locks.delete(lockKey)
    }
  }

  function forward(req, res) {
    return new Promise((resolve) => {
      const headers = { ...req.headers }
      delete headers['if-match']
      delete headers['if-none-match']
      const up = httpRequest({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.on('data', (chunk) => (stats.bytesOut += chunk.length))
        upRes.pipe(res)
        upRes.on('end', resolve)
        // A client that stops reading mid-body closes its side: the request is over for us too.
        res.on('close', () => (upRes.destroy(), resolve()))
        upRes.on('error', () => (res.destroy(), resolve()))
      })
      // The server went away: the client sees its connection drop, as it would talking to it directly.
      up.on('error', () => (res.destroy(), resolve()))
      req.on('data', (chunk) => (stats.bytesIn += chunk.length))
      req.pipe(up)
    })
  }

  /** The current ETag of an object (through s3rver, with the caller's credentials), or undefined. */
  function headEtag(headers, path) {
    return new Promise((resolve, reject) => {
      const h = { host: headers.host, authorization: headers.authorization, 'x-amz-date': headers['x-amz-date'], 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }
      const up = httpRequest({ host: '127.0.0.1', port: upstreamPort, method: 'HEAD', path, headers: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) }, (r) => {
        r.resume()
        if (r.statusCode === 200) resolve(r.headers.etag)
        else if (r.statusCode === 404) resolve(undefined)
        else reject(new Error(`HEAD ${path} answered ${r.statusCode}`))
      })
      up.on('error', reject)
      up.end()
    })
  }

  function uploadsDir(bucket) {
    return join(directory, bucket, '._S3rver_uploads')
  }

  async function listUploads(res, bucket, prefix) {
    const dir = uploadsDir(bucket)
    const uploads = []
    for (const id of await readdir(dir).catch(() => [])) {
      const key = await readFile(join(dir, id, 'key'), 'utf8').catch(() => undefined)
      if (key === undefined || !key.startsWith(prefix)) continue
      const initiated = (await stat(join(dir, id))).birthtime
      uploads.push(`<Upload><Key>${escapeXml(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated.toISOString()}</Initiated></Upload>`)
    }
    res.writeHead(200, { 'content-type': 'application/xml' })
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${escapeXml(bucket)}</Bucket>` +
        `<Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`,
    )
  }

  async function abortUpload(res, bucket, uploadId) {
    const dir = join(uploadsDir(bucket), String(uploadId))
    if (!/^[0-9a-f]+$/.test(String(uploadId)) || !(await stat(dir).catch(() => undefined))) return reply(res, 404, 'NoSuchUpload', 'The specified upload does not exist.')
    await rm(dir, { recursive: true, force: true })
    res.writeHead(204)
    res.end()
  }

  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
  return server
}

/** The S3 operation a request is, for counting. */
function operation(method, url, key, headers) {
  const q = url.searchParams
  if (!key) {
    if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads'
    if (method === 'GET') return 'ListObjectsV2'
    if (method === 'HEAD') return 'HeadBucket'
    if (method === 'PUT') return 'CreateBucket'
    return `${method} bucket`
  }
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload'
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload'
  if (method === 'PUT' && q.has('uploadId')) return 'UploadPart'
  if (method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload'
  if (method === 'PUT' && headers['x-amz-copy-source']) return 'CopyObject'
  if (method === 'PUT') return 'PutObject'
  if (method === 'GET') return 'GetObject'
  if (method === 'HEAD') return 'HeadObject'
  if (method === 'DELETE') return 'DeleteObject'
  return `${method} object`
}

function reply(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/xml' })
  res.end(errorXml(code, message))
}

function errorXml(code, message) {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`
}

function unquote(etag) {
  return String(etag).trim().replace(/^W\//, '').replace(/^"|"$/g, '')
}

function escapeXml(s) {
  return String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c])
}
