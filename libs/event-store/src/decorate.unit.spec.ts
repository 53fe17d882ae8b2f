import { describe, expect, it } from 'vitest';
import { decorateStore } from './decorate.ts';
import { InMemoryEventStore } from './in-memory-event-store.ts';

describe('a decorated store', () => {
  it('uses the overrides, and the store itself (private state included) for the rest', async () => {
    const store = new InMemoryEventStore();
    const appended: string[] = [];
    const decorated = decorateStore(store, {
      append: (streamId, events, options) => {
        appended.push(streamId);
        return store.append(streamId, events, options);
      },
    });
    await decorated.append('s-1', [{ id: 'e-1', type: 't', data: {} }]);
    expect(appended).toEqual(['s-1']);
    expect((await decorated.readStream('s-1')).map((event) => event.id)).toEqual(['e-1']);
    expect(await decorated.headPosition()).toBe(1n);
    expect(decorated).toBeInstanceOf(InMemoryEventStore);
    expect(decorated.readStream).toBe(decorated.readStream);
  });
});
