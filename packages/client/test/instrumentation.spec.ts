import { InstrumentationEmitter } from '../src/instrumentation';
import { silentLogger, type Logger } from '../src';
import { ManualClock } from './helpers/manual-clock';

interface Events {
  'thing.happened': { n: number };
  'thing.other': Record<string, never>;
}

describe('instrumentation events', () => {
  it('delivers namespaced events with id, type and timestamp; on() returns an unsubscribe function', () => {
    const clock = new ManualClock(1000);
    const emitter = new InstrumentationEmitter<Events>(clock, silentLogger);
    const seen: Array<[number, string, number, number]> = [];
    const off = emitter.on('thing.happened', (e) => seen.push([e.id, e.type, e.timestamp, e.payload.n]));
    expect(emitter.listening('thing.happened')).toBe(true);
    expect(emitter.listening('thing.other')).toBe(false);
    emitter.emit('thing.happened', { n: 1 });
    clock.advance(5);
    emitter.emit('thing.happened', { n: 2 });
    off();
    off();
    emitter.emit('thing.happened', { n: 3 });
    expect(seen).toEqual([
      [0, 'thing.happened', 1000, 1],
      [1, 'thing.happened', 1005, 2],
    ]);
    expect(emitter.listening('thing.happened')).toBe(false);
  });

  it('logs and ignores a listener that throws, still calling the others', () => {
    const errors: string[] = [];
    const logger: Logger = { ...silentLogger, error: (m) => errors.push(m) };
    const emitter = new InstrumentationEmitter<Events>(new ManualClock(), logger);
    let called = false;
    emitter.on('thing.other', () => {
      throw new Error('observer bug');
    });
    emitter.on('thing.other', () => {
      called = true;
    });
    expect(() => emitter.emit('thing.other', {})).not.toThrow();
    expect(called).toBe(true);
    expect(errors).toEqual(['listener of thing.other threw']);
  });
});
