import { InvalidArgumentError } from 'commander';
import { brokerList, collectList, integer, keyValue, separator, topicName } from './parsers';

describe('parsers', () => {
  it('integer accepts integers in range only', () => {
    expect(integer(1)('3')).toBe(3);
    expect(() => integer(1)('0')).toThrow(InvalidArgumentError);
    expect(() => integer(0)('1.5')).toThrow(InvalidArgumentError);
    expect(() => integer(0, 9)('10')).toThrow(/from 0 to 9/);
  });

  it('keyValue splits at the first "="', () => {
    expect(keyValue('a=b=c')).toEqual(['a', 'b=c']);
    expect(keyValue('a=')).toEqual(['a', '']);
    expect(() => keyValue('=b')).toThrow(InvalidArgumentError);
    expect(() => keyValue('ab')).toThrow(InvalidArgumentError);
  });

  it('collectList accepts repeated and comma-separated values', () => {
    const parse = collectList(integer(0));
    expect(parse('2', parse('0,1', undefined))).toEqual([0, 1, 2]);
  });

  it('brokerList accepts ws:// and wss:// URLs, and host:port as ws://host:port', () => {
    expect(brokerList('ws://a:1, wss://b:2')).toEqual(['ws://a:1', 'wss://b:2']);
    expect(brokerList('localhost:9092,10.0.0.7:9093,[::1]:9094')).toEqual(['ws://localhost:9092', 'ws://10.0.0.7:9093', 'ws://[::1]:9094']);
    expect(() => brokerList('http://a:1')).toThrow(InvalidArgumentError);
    expect(() => brokerList('localhost')).toThrow(/no port/);
    expect(() => brokerList(' , ')).toThrow(InvalidArgumentError);
  });

  it('topicName follows the broker rules', () => {
    expect(topicName('a.b_c-1')).toBe('a.b_c-1');
    expect(() => topicName('a b')).toThrow(InvalidArgumentError);
    expect(() => topicName('..')).toThrow(InvalidArgumentError);
  });

  it('separator turns \\t into a tab and refuses an empty separator', () => {
    expect(separator('\\t')).toBe('\t');
    expect(separator('::')).toBe('::');
    expect(() => separator('')).toThrow(InvalidArgumentError);
  });
});
