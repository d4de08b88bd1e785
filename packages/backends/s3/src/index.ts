/**
 * **@omega/s3**: omega storage backend on S3 and S3-compatible services, one store shared by
 * many processes and machines.
 *
 * ```ts
 * const om = await Omega.open({ store: 's3://bucket/prefix', s3: { region: 'eu-west-1' } })
 * ```
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import { S3Backend, type S3BackendOptions } from './s3-backend.js'

export { S3Backend, parseS3Url, type S3BackendOptions } from './s3-backend.js'

/** Registers the `s3:` scheme: `s3://bucket/prefix`, options from `Omega.open({ s3: { … } })`. */
const plugin: Plugin = (api) => {
  api.registerBackend(S3Backend.SCHEME, (url, options) => new S3Backend(url, (options.s3 ?? {}) as S3BackendOptions), { priority: 0 })
}
export default plugin
