/**
 * Structured logs and metrics (Powertools for AWS Lambda): one JSON log line per event and
 * CloudWatch metrics in embedded metric format, published at the end of every turn.
 * `POWERTOOLS_LOG_LEVEL` sets the lowest level logged; `POWERTOOLS_METRICS_DISABLED` turns metrics off.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'cloudwatch-logs-s3-exporter';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'CloudWatchLogsS3Exporter', serviceName });

export function log(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Record<string, unknown> = {}): void {
  if (level === 'ERROR') logger.error(message, fields);
  else if (level === 'WARN') logger.warn(message, fields);
  else logger.info(message, fields);
}

/** Metric names: counts of exports by outcome, and how far behind the window end an export completed. */
export type Counter = 'ExportsStarted' | 'ExportsCompleted' | 'ExportsRetried' | 'ExportsFailed' | 'ExportsAdopted' | 'ForeignTaskWaits' | 'Throttled';

let pending = false;

export function count(name: Counter, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
  pending = true;
}

export function seconds(name: 'ExportLag' | 'ExportDuration', value: number): void {
  metrics.addMetric(name, MetricUnit.Seconds, value);
  pending = true;
}

/** Publishes the metrics of this turn, if any. */
export function flushMetrics(): void {
  if (pending) metrics.publishStoredMetrics();
  pending = false;
}
