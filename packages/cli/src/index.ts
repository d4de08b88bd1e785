/**
 * **@omega/cli**: the `omega` command line (SPEC §10) — datasets, models, scripts, jobs, runtime,
 * export/import and fsck over any omega store. It parses, calls the library and prints; it has no logic of its own.
 *
 * @packageDocumentation
 */
export { run, EXIT } from './run.js'
export { createProgram } from './program.js'
export type { GlobalOptions, Streams } from './output.js'
