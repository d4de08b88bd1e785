import type { InjectionToken } from 'tsyringe'
import type { BackendRegistry } from '../registry/backend-registry.js'
import type { HandlerRegistry } from '../handler/handler-registry.js'
import type { ResolvedOpenOptions } from '../open-options.js'

/** Typed tokens of the per-instance container. */
export const TOKENS = {
  Options: Symbol('omega.Options') as InjectionToken<ResolvedOpenOptions>,
  Backends: Symbol('omega.Backends') as InjectionToken<BackendRegistry>,
  Handlers: Symbol('omega.Handlers') as InjectionToken<HandlerRegistry>,
} as const
