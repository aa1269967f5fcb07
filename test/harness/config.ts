import { ExporterConfig } from '../../src/shared/config';

/** A handler configuration for unit tests, as the construct would write it with default props. */
export function testConfig(overrides: Partial<ExporterConfig> = {}): ExporterConfig {
  return {
    bucket: 'b',
    keyPrefix: 'exported-logs',
    period: 'P1D',
    timeZone: 'UTC',
    sources: [{}],
    excludePrefixes: [],
    excludeNames: [],
    exporterId: '123456789012/us-east-1/Stack/Stack/Exporter',
    settleSeconds: 43_200,
    exportEmptyWindows: false,
    maxCatchUpSeconds: 14 * 86_400,
    maxAttempts: 3,
    pollSeconds: 30,
    minWaitSeconds: 5,
    maxWaitSeconds: 300,
    maxTurns: 2000,
    executionTimeoutSeconds: 86_400,
    lambdaTimeoutSeconds: 330,
    scheduleIntervalSeconds: 86_400,
    leaseSeconds: 1_800,
    ...overrides,
  };
}
