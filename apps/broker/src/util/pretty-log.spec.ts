import { prettyLine } from './pretty-log';

describe('prettyLine', () => {
  it('prints time, level, message and the fields, without pid and name', () => {
    const time = new Date(2026, 0, 2, 3, 4, 5, 6).getTime();
    const line = prettyLine(JSON.stringify({ level: 30, time, pid: 7, name: 'strata-broker', msg: 'broker started', url: 'ws://127.0.0.1:9092', topics: 2, dataDir: '/var/lib/my data' }));
    expect(line).toBe('03:04:05.006 INFO  broker started url=ws://127.0.0.1:9092 topics=2 dataDir="/var/lib/my data"\n');
  });

  it('prints an error message inline and its stack below', () => {
    const line = prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'shutdown failed', err: { type: 'Error', message: 'disk full', stack: 'Error: disk full\n    at write (file.js:1:1)' } }));
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR shutdown failed err="disk full"\n {4}at write \(file\.js:1:1\)\n$/);
  });

  it('passes a line that is not JSON through', () => {
    expect(prettyLine('not json')).toBe('not json\n');
  });
});
