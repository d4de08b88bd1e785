import { errors } from '../errors.js'
import { Registry } from '../registry/registry.js'
import { describeType, type Handler, type StoreName } from './handler.js'

/** How a put chooses its handler (SPEC §5). */
export interface HandlerSelection {
  /** The `kind` option: use exactly this handler, or fail. */
  readonly kind?: string | undefined
  /** The kind of the object already stored under the name, preferred on re-put. */
  readonly existingKind?: string | undefined
}

/**
 * The handlers of one Omega instance, by kind. Selection: the explicit kind (an error if it does not
 * support the value), else the existing object's kind if it supports the value, else the first
 * handler in priority order whose `supports()` says yes (plugin handlers outrank built-ins).
 */
export class HandlerRegistry extends Registry<Handler> {
  constructor() {
    super('handler for kind')
  }

  select(store: StoreName, value: unknown, selection: HandlerSelection = {}): Handler {
    if (selection.kind !== undefined) {
      const handler = this.get(selection.kind)
      if (!handler.stores.includes(store)) {
        throw errors.unsupported(`kind "${selection.kind}" cannot be stored in om.${store} (it belongs in om.${handler.stores.join(', om.')})`, {
          kind: selection.kind,
          store,
        })
      }
      if (!handler.supports(value)) {
        throw errors.unsupported(`kind "${selection.kind}" does not support a value of type ${describeType(value)}`, {
          kind: selection.kind,
          type: describeType(value),
        })
      }
      return handler
    }
    if (selection.existingKind !== undefined) {
      const existing = this.find(selection.existingKind)
      if (existing?.supports(value)) return existing
    }
    const handler = this.values().find((h) => h.stores.includes(store) && h.supports(value))
    if (!handler) {
      const kinds = this.values().filter((h) => h.stores.includes(store)).map((h) => h.kind)
      throw errors.unsupported(
        `no handler in om.${store} supports a value of type ${describeType(value)} (kinds: ${kinds.join(', ') || 'none'}); register a handler or an estimator class in a plugin`,
        { type: describeType(value), store, kinds },
      )
    }
    return handler
  }
}
