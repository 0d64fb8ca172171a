import { DEFAULT_REFRESH_MS, parseConsoleConfig } from './console-config';

describe('config.json', () => {
  it('defaults to the page origin and a 2 s refresh', () => {
    expect(parseConsoleConfig({})).toMatchObject({ brokers: [], refreshMs: DEFAULT_REFRESH_MS });
    expect(parseConsoleConfig({ brokers: ['wss://b:9092'], refreshMs: 500 })).toMatchObject({ brokers: ['wss://b:9092'], refreshMs: 500 });
  });

  it('rejects unknown settings by name and bad values', () => {
    expect(() => parseConsoleConfig({ broker: [] })).toThrow('unknown setting "broker"');
    expect(() => parseConsoleConfig({ brokers: ['http://b'] })).toThrow(/ws:\/\//);
    expect(() => parseConsoleConfig({ refreshMs: 5 })).toThrow(/refreshMs/);
    expect(() => parseConsoleConfig([])).toThrow(/object/);
  });
});
