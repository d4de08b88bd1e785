import 'reflect-metadata'
import { container as root, instanceCachingFactory, type DependencyContainer, type InjectionToken } from 'tsyringe'
import { BackendRegistry } from '../registry/backend-registry.js'
import { HandlerRegistry } from '../handler/handler-registry.js'
import type { ResolvedOpenOptions } from '../open-options.js'
import { TOKENS } from './tokens.js'

/**
 * The composition root: one child container per Omega instance (and per worker), so registries
 * are never shared between instances. Factory and value providers only: no decorators, because
 * the TypeScript transforms used by test runners do not emit decorator metadata.
 */
export function createContainer(options: ResolvedOpenOptions): DependencyContainer {
  const c = root.createChildContainer()
  c.register(TOKENS.Options, { useValue: options })
  c.register(TOKENS.Backends, { useFactory: instanceCachingFactory(() => new BackendRegistry()) })
  c.register(TOKENS.Handlers, { useFactory: instanceCachingFactory(() => new HandlerRegistry()) })
  return c
}

/** A typed resolve, so call sites never cast. */
export function resolve<T>(c: DependencyContainer, token: InjectionToken<T>): T {
  return c.resolve(token)
}
