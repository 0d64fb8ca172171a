/** Name and version this client announces in the ApiVersions handshake (a test keeps it in step with package.json). */
export const CLIENT_SOFTWARE_NAME = 'strata-js';
export const CLIENT_VERSION = '0.1.0';
