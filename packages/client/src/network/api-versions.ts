/**
 * Version negotiation: the ApiVersions handshake tells which versions of each API the broker
 * speaks; for every API both ends know, the connection uses the highest version both support.
 */
import { Apis, ERRORS, StrataError, type ApiName, type ApiVersionsResponse } from '@strata/protocol';

/** The handshake itself always uses version 0, which every broker understands. */
export const API_VERSIONS_HANDSHAKE_VERSION = 0;

export class NegotiatedVersions {
  private readonly versions = new Map<ApiName, number>();
  private readonly brokerRanges = new Map<number, { min: number; max: number }>();

  constructor(response: Pick<ApiVersionsResponse, 'apiKeys'>) {
    for (const range of response.apiKeys) this.brokerRanges.set(range.apiKey, { min: range.minVersion, max: range.maxVersion });
    for (const name of Object.keys(Apis) as ApiName[]) {
      const api = Apis[name];
      const broker = this.brokerRanges.get(api.key);
      if (!broker) continue;
      const version = Math.min(api.maxVersion, broker.max);
      if (version >= Math.max(api.minVersion, broker.min)) this.versions.set(name, version);
    }
  }

  /** The version to use for `name`; throws UNSUPPORTED_VERSION when the two ends share none. */
  versionOf(name: ApiName): number {
    const version = this.versions.get(name);
    if (version !== undefined) return version;
    const api = Apis[name];
    const broker = this.brokerRanges.get(api.key);
    const detail = broker
      ? `the broker speaks versions ${broker.min}-${broker.max}, this client ${api.minVersion}-${api.maxVersion}`
      : 'the broker does not support it';
    throw new StrataError(ERRORS.UNSUPPORTED_VERSION, `${name}: ${detail}`);
  }

  supports(name: ApiName): boolean {
    return this.versions.has(name);
  }
}
