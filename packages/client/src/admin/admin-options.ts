/** Options of `strata.admin()`. */
import { mergeRetry, retrySchema } from '../config/client-options';
import { strictObject } from '../config/schema';
import { validateOptions } from '../config/validate';
import type { RetryOptions } from '../retry';

export interface AdminOptions {
  /** Retries of admin requests; unset fields take the client's `retry` values. */
  retry?: Partial<RetryOptions>;
}

export interface ResolvedAdminOptions {
  retry: Readonly<RetryOptions>;
}

const adminSchema = strictObject({ retry: retrySchema.optional() });

export function resolveAdminOptions(input: AdminOptions | undefined, clientRetry: Readonly<RetryOptions>): ResolvedAdminOptions {
  const o = validateOptions(adminSchema, input ?? {}, 'admin');
  return { retry: mergeRetry(clientRetry, o.retry, 'admin') };
}
