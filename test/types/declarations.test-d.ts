// Every public entry point of every omega package, loaded from its built declarations with
// skipLibCheck off: a declaration that names a type its package strips (@internal) or does not
// export fails here, as it would in an application that checks its libraries.
import type * as core from '@omega/core'
import type * as omega from '@omega/omega'
import type * as builtins from '@omega/omega/builtins'
import type * as conformance from '@omega/conformance'
import type * as memory from '@omega/memory'
import type * as level from '@omega/level'
import type * as fs from '@omega/fs'
import type * as mljs from '@omega/mljs'
import type * as onnx from '@omega/onnx'
import type * as pool from '@omega/pool'
import type * as worker from '@omega/pool/worker'

export type EntryPoints = [typeof core, typeof omega, typeof builtins, typeof conformance, typeof memory, typeof level, typeof fs, typeof mljs, typeof onnx, typeof pool, typeof worker]
