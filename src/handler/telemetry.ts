/**
 * Structured logs and metrics (Powertools for AWS Lambda): one JSON log line per event and
 * CloudWatch metrics in embedded metric format, published at the end of every turn.
 * `POWERTOOLS_LOG_LEVEL` sets the lowest level logged; `POWERTOOLS_METRICS_DISABLED` turns metrics off.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EXPORTER_DIMENSION, METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../shared/protocol';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export function log(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Record<string, unknown> = {}): void {
  if (level === 'ERROR') logger.error(message, fields);
  else if (level === 'WARN') logger.warn(message, fields);
  else logger.info(message, fields);
}

let pending = false;
let exporter: string | undefined;

/** Every metric of the turns that follow carries this exporter's identity as a dimension. */
export function forExporter(exporterId: string): void {
  if (exporter === exporterId) return;
  metrics.setDefaultDimensions({ [EXPORTER_DIMENSION]: exporterId });
  exporter = exporterId;
}

export function count(name: MetricName, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
  pending = true;
}

export function seconds(name: MetricName, value: number): void {
  metrics.addMetric(name, MetricUnit.Seconds, value);
  pending = true;
}

export function percent(name: MetricName, value: number): void {
  metrics.addMetric(name, MetricUnit.Percent, value);
  pending = true;
}

export function bytes(name: MetricName, value: number): void {
  metrics.addMetric(name, MetricUnit.Bytes, value);
  pending = true;
}

/** Publishes the metrics of this turn, if any. */
export function flushMetrics(): void {
  if (pending) metrics.publishStoredMetrics();
  pending = false;
}
