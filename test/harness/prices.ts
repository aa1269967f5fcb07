/**
 * The cost model of the benchmark and of the figures the construct prints (us-east-1): Step
 * Functions Standard per state transition, Lambda per GB-second (arm64) and per request, S3 per
 * PUT/LIST and per GET.
 */
export const PRICE = { transition: 0.000025, gbSecond: 0.0000133334, request: 0.0000002, s3Write: 0.000005, s3Read: 0.0000004 };
/** The handler's memory. */
export const MEMORY_GB = 128 / 1024;

export interface Usage {
  readonly transitions: number;
  readonly gbSeconds: number;
  readonly invocations: number;
  readonly s3Calls: Record<string, number>;
}

/** What the usage costs, in dollars: S3 LIST is priced as a PUT, every other S3 read as a GET. */
export function dollars(u: Usage): number {
  const writes = (u.s3Calls.PutObject ?? 0) + (u.s3Calls.ListObjectsV2 ?? 0);
  const reads = Object.entries(u.s3Calls).filter(([op]) => op !== 'PutObject' && op !== 'ListObjectsV2').reduce((a, [, n]) => a + n, 0);
  return u.transitions * PRICE.transition + u.gbSeconds * PRICE.gbSecond + u.invocations * PRICE.request
    + writes * PRICE.s3Write + reads * PRICE.s3Read;
}
