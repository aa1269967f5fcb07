/**
 * AWS SDK v3 clients, created once per container. They honour the standard SDK configuration
 * (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, AWS_ENDPOINT_URL_S3, ...), so
 * the handler runs unchanged against emulators. Adaptive retry mode backs off on throttling.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';

const common = { retryMode: 'adaptive', maxAttempts: 6 } as const;

export const logs = new CloudWatchLogsClient(common);
export const s3 = new S3Client(common);
/** CloudWatch: the log groups' IncomingBytes metric (see activity.ts). */
export const cloudWatch = new CloudWatchClient(common);
