import { ApiKey, Apis, StrataError } from '@strata/protocol';
import { NegotiatedVersions } from '../src/network/api-versions';

describe('version negotiation', () => {
  it('uses the highest version both ends support', () => {
    const v = new NegotiatedVersions({
      apiKeys: [
        { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: Apis.Metadata.maxVersion + 5 },
        { apiKey: ApiKey.Fetch, minVersion: 0, maxVersion: Apis.Fetch.maxVersion },
      ],
    });
    expect(v.versionOf('Metadata')).toBe(Apis.Metadata.maxVersion);
    expect(v.versionOf('Fetch')).toBe(Apis.Fetch.maxVersion);
    expect(v.supports('Produce')).toBe(false);
  });

  it('refuses an API whose version ranges do not overlap, saying both ranges', () => {
    const v = new NegotiatedVersions({ apiKeys: [{ apiKey: ApiKey.Metadata, minVersion: Apis.Metadata.maxVersion + 1, maxVersion: Apis.Metadata.maxVersion + 3 }] });
    expect(v.supports('Metadata')).toBe(false);
    expect(() => v.versionOf('Metadata')).toThrow(StrataError);
    expect(() => v.versionOf('Metadata')).toThrow(/broker speaks versions/);
    expect(() => v.versionOf('Produce')).toThrow(/does not support it/);
  });
});
