/**
 * omega core: object stores, metadata, the name grammar, registries, errors and the contracts
 * (StorageBackend, Handler, Runtime) that plugins implement.
 *
 * @packageDocumentation
 */
export { Omega } from './omega.js'
export type { CloseOptions } from './omega.js'
export type { OpenOptions, ResolvedOpenOptions, RuntimeSpec } from './open-options.js'
export { defaultStoreUrl } from './open-options.js'
export { OmegaError, ERROR_CODES, errors, throwIfAborted } from './errors.js'
export type { ErrorCode, SerializedError, SerializedCause, OmegaErrorOptions } from './errors.js'
export type { JsonValue, JsonObject } from './json.js'
export { isPlainObject, mergeAttributes, toJson } from './json.js'

export { parseName, formatRef, isValidTag } from './names/name-grammar.js'
export type { ParsedName, VersionRef, ColumnSelector, ColumnItem, NameOperation } from './names/name-grammar.js'
export { validateName, validateBucket, isHiddenName, isTempName, MAX_NAME_LENGTH } from './names/validate-name.js'
export { nameMatcher, isGlob, literalPrefix } from './names/glob.js'
export type { NameFilterOptions } from './names/glob.js'

export type {
  StorageBackend,
  BlobStore,
  MetadataStore,
  BackendManifest,
  BlobRef,
  ListedBlob,
  ScratchStore,
  StoredDoc,
  SignalOptions,
  ListDocsOptions,
  CasOptions,
  DocWrite,
  DeleteDocOptions,
  BackendFactory,
} from './backend/storage-backend.js'
export { MemoryBackend, memoryBackendFactory } from './backend/memory-backend.js'
export { CheckedBackend } from './backend/checked-backend.js'
export { readBlobFile, readBlobFileInto, syncDirectory } from './backend/blob-files.js'
export { pace } from './backend/pacing.js'
export type { CheckedBlobStore, VerifiedReadOptions } from './backend/checked-backend.js'
export type { PartRef, ChunkDigests } from './backend/chunk-digests.js'
export { HashingReader, sha256Hex, isSha256, chunksOf, collectBytes, joinBytes } from './backend/hashing.js'

export type { Metadata } from './store/metadata.js'
export type { ExportOptions, ExportReport, ArchiveProgress } from './archive/export-archive.js'
export type { ImportOptions, ImportReport, ImportedObject } from './archive/import-archive.js'
export type { ArchiveManifest, ArchivedObject, ArchivedVersion, ArchivedPart } from './archive/archive-manifest.js'
export { DEFAULT_GRACE_MS } from './store/fsck.js'
export type { FsckOptions, FsckReport, FsckProblem, FsckProblemKind } from './store/fsck.js'
export { ObjectStore } from './store/object-store.js'
export type { PutOptions, GetOptions, ListOptions, DropOptions, PromoteOptions } from './store/object-store.js'
export { ModelStore } from './store/model-store.js'
export { VersionedStore } from './store/versioned-store.js'
export { DatasetStore } from './store/dataset-store.js'
export type { DatasetPutOptions, DatasetGetOptions, DatasetReadCsvOptions, WriteCsvOptions, DatasetTypes, DatasetValue, TableSelector, TableGetOptions } from './store/dataset-store.js'
export { ArrowTableHandler, DEFAULT_BATCH_ROWS, PART_TARGET_BYTES, PART_MAX_COLUMNS } from './handler/builtin/arrow-table-handler.js'
export type { TableKindMeta, TableBatchMeta, TableScan } from './handler/builtin/arrow-table-handler.js'
export { NdarrayHandler } from './handler/builtin/ndarray-handler.js'
export { recordsToTable, inferType, isRecords } from './data/records.js'
export { compileFilter, FILTER_OPERATORS } from './data/filter.js'
export type { Filter, FilterOperator, FilterValue, CompiledFilter } from './data/filter.js'
export { selectColumns } from './data/column-selection.js'
export { csvTables } from './data/csv.js'
export type { CsvColumnType, CsvProgress, ReadCsvOptions } from './data/csv.js'
export { encodeColumn, decodeColumn, encodeSchema, decodeSchema, schemaToJson, isArrowTable, isRecordBatch, ownTable, batchOf } from './data/arrow.js'
export type { ModelPutOptions, Revision, LineageStep } from './store/model-store.js'
export type { VersionedPutOptions } from './store/versioned-store.js'

export type {
  Handler,
  ModelHandler,
  Artifacts,
  StoredArtifacts,
  HandlerContext,
  StoreName,
  ModelCallOptions,
  ModelData,
  ModelOperation,
} from './handler/handler.js'
export { MODEL_OPERATIONS, describeType } from './handler/handler.js'
export { HandlerRegistry } from './handler/handler-registry.js'
export type { HandlerSelection } from './handler/handler-registry.js'
export { EstimatorHandler, toMatrix, toTarget, toTensor } from './handler/estimator-handler.js'
export type { EstimatorClass, EstimatorAdapter, RegisterEstimatorOptions, Matrix, Target, ResultCheck } from './handler/estimator-handler.js'
export { JsonHandler, isJsonValue } from './handler/builtin/json-handler.js'
export { FileHandler, isFileRef } from './handler/builtin/file-handler.js'
export type { FileRef } from './handler/builtin/file-handler.js'

export { Tensor, DTYPE_ARRAYS, isTensor } from './data/tensor.js'
export type { TensorDtype, TensorData, TensorDataMap, NestedArray } from './data/tensor.js'

export { Registry, BUILTIN_PRIORITY, PLUGIN_PRIORITY } from './registry/registry.js'
export { BackendRegistry, storeScheme } from './registry/backend-registry.js'
export type { Plugin, PluginApi, RegisterOptions } from './plugins/plugin.js'
export { loadPlugins, resolvePluginSpecifier, isMissingPackage } from './plugins/load-plugins.js'
export type { Runtime, Task, ModelTask, ScriptTask, TaskModel, TaskOperation, TaskOutcome, TaskResult, RunOptions, EncodedData, RuntimeOperation, RuntimeFactory, RuntimeHost } from './runtime/runtime.js'
export { PROGRESS_INTERVAL_MS } from './runtime/runtime.js'
export type { BatchingOptions, BatchingRuntime } from './runtime/runtime.js'
export { checkBatching } from './runtime/batching-policy.js'
export { kindMetaKey } from './runtime/execute-task.js'
export { executeTask, artifactsOf } from './runtime/execute-task.js'
export type { ExecutionEnv, LiveInputs } from './runtime/execute-task.js'
export { InlineRuntime, combine as combineSignals, abortError } from './runtime/inline-runtime.js'
export type { InlineRunOptions } from './runtime/inline-runtime.js'
export { ModelCache } from './runtime/model-cache.js'
export { ModelProxy } from './runtime/model-proxy.js'
export { sameModel } from './runtime/fit-lineage.js'
export { predictionTable } from './runtime/prediction.js'
export type { Prediction } from './runtime/prediction.js'
export type { ModelRunOptions, PredictOptions, DataArg, InlineData, RuntimeContext } from './runtime/model-proxy.js'
export type { DatasetRef } from './runtime/resolved-input.js'
export type { FitOptions } from './runtime/fit-options.js'
export type { Progress } from './runtime/runtime.js'
export type { GridsearchOptions } from './runtime/gridsearch.js'
export { RuntimeFacade } from './runtime/runtime-facade.js'
export type { ScriptFacade } from './runtime/runtime-facade.js'
export { checkRoute, LABEL as RUNTIME_LABEL, type RuntimeRequirements } from './runtime/runtime-route.js'
export { ScriptProxy } from './runtime/script-proxy.js'
export type { ScriptRun, ScriptRunContext } from './runtime/script-proxy.js'
export { executeScriptTask, runScriptModule, scriptError } from './runtime/execute-script.js'
export { ScriptStore } from './scripts/script-store.js'
export { ScriptPackage, readScriptSource } from './scripts/script-package.js'
export type { ScriptSource } from './scripts/script-package.js'
export { ScriptHandler, SCRIPT_KIND } from './scripts/script-handler.js'
export type { ScriptManifest } from './scripts/script-handler.js'
export { materializeScript, scriptCacheDir } from './scripts/script-cache.js'
export { JobStore } from './jobs/job-store.js'
export type { Job, ScheduleOptions, ScheduledJob, RunRecord, CatchUpPolicy } from './jobs/job-store.js'
export { Scheduler } from './jobs/scheduler.js'
export type { SchedulerOptions, TickReport, OccurrenceRunner } from './jobs/scheduler.js'
export { parseSchedule, nextTimes, checkTimezone, localTimezone } from './jobs/schedule-text.js'
export type { ParsedSchedule } from './jobs/schedule-text.js'
export { serveOmega, REMOTE_METHODS } from './rpc/serve-omega.js'
export type { ServedOmega, OmegaService } from './rpc/serve-omega.js'
export { remoteOmega } from './rpc/remote-omega.js'
export type { ScriptOmega, RemoteStore, RemoteModel } from './rpc/remote-omega.js'
export { toWire, fromWire } from './rpc/wire.js'
export type { OmegaPort, RemoteRequest, RemoteResponse, RemoteTarget, WireModel } from './rpc/wire.js'
export { CallObservers } from './runtime/call-observers.js'
export type { CallObserver, CallWatch, ObservedCall, ObservedInput } from './runtime/call-observers.js'
export type { RuntimeState } from './runtime/runtime-facade.js'
export { encodeInput, decodeInput, encodeTensor, toModelInput, tableToTensor, asTensor, transferList, isNamedInputs } from './runtime/task-codec.js'
export type { ModelInput, NamedInputs } from './runtime/task-codec.js'
export { matchColumns } from './runtime/feature-check.js'
export { score, parameterGrid, kFolds, SCORERS } from './runtime/scoring.js'
export { PluginHost } from './plugins/plugin-host.js'
