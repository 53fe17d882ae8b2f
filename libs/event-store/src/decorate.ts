import type { EventStore } from './types.ts';

/**
 * The store with some of its methods replaced and every other one its own: what a decorator
 * (signing what is appended, filtering what is read) needs without restating the interface. The
 * store's own methods run bound to it, since its private state is not reachable through a proxy;
 * each is bound once.
 */
export function decorateStore<Store extends EventStore>(
  store: Store,
  overrides: Partial<Pick<EventStore, 'append' | 'readStream' | 'readAll'>>,
): Store {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const override = (overrides as Record<PropertyKey, unknown>)[property];
      if (override !== undefined) return override;
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!bound.has(property)) bound.set(property, value.bind(target));
      return bound.get(property);
    },
  });
}
