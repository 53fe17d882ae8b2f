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

  it('sends the batched twins of a replaced method through the replacement', async () => {
    const store = new InMemoryEventStore();
    const appended: string[] = [];
    const read: string[] = [];
    const decorated = decorateStore(store, {
      append: (streamId, events, options) => {
        appended.push(streamId);
        return store.append(streamId, events, options);
      },
      readStream: (streamId, options) => {
        read.push(streamId);
        return store.readStream(streamId, options);
      },
    });
    const answers = await decorated.appendMany([
      { streamId: 's-1', events: [{ id: 'e-1', type: 't', data: {} }] },
      { streamId: 's-2', events: [{ id: 'e-2', type: 't', data: {} }], expectedVersion: 3 },
    ]);
    expect(appended).toEqual(['s-1', 's-2']);
    expect(answers.map((answer) => answer.status)).toEqual(['appended', 'conflict']);
    const streams = await decorated.readStreamsFrom([{ streamId: 's-1', fromVersion: 1 }]);
    expect(read).toEqual(['s-1']);
    expect(streams.get('s-1')?.map((event) => event.id)).toEqual(['e-1']);
  });
});
