/**
 * What the offload tests share: an exporter with `cloudWatchRetention` on the fakes, its daily
 * scheduled runs, and the check every one of them ends with: no event expired unarchived.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { last } from './rules';
import { World, WorldOptions, world } from './world';
import { CloudWatchLogsS3ExporterProps } from '../../src';
import { retentionKey } from '../../src/shared/layout';
import { RetentionLedger } from '../../src/shared/retention';

export const DAY = 86_400_000;
/** The first run: 01:00 UTC, when the default schedule runs; it exports the 23rd (settled at 12:00 on the 24th). */
export const START = Date.parse('2026-11-25T01:00:00Z');
export const FIRST_WINDOW = Date.parse('2026-11-23T00:00:00Z');
const topic = sns.Topic.fromTopicArn(new Stack(new App(), 'Topics'), 'Alerts', 'arn:aws:sns:eu-west-1:123456789012:alerts');
export const OFFLOAD: CloudWatchLogsS3ExporterProps = { cloudWatchRetention: Duration.days(7), alarmTopic: topic };

export function offloadWorld(o: WorldOptions = {}): World {
  return world({ now: START, ...o, props: { ...OFFLOAD, ...o.props } });
}

export const iso = (t: number) => new Date(t).toISOString().replace('.000', '');

/** A group's retention in the fakes (undefined: never expire). */
export const retention = (x: World, g: string) => x.logs.groups.get(g)!.retentionInDays;

export function ledger(x: World): RetentionLedger {
  return JSON.parse(x.s3.objects.get(`${x.synthesized.bucket}/${retentionKey(x.synthesized.config.keyPrefix)}`)!.body);
}

/**
 * Runs the schedule's run of each day from `from` (days after START) up to `to`, after `each`;
 * asserts the run ended with `status` (when given), and that none of `groups` lost an event
 * that was not archived.
 */
export async function days(x: World, from: number, to: number, groups: string[],
  options: { each?: (day: number) => void; status?: string } = {}): Promise<void> {
  for (let d = from; d <= to; d++) {
    x.clock.now = START + d * DAY;
    options.each?.(d);
    const chain = await x.loop.run({ scheduledTime: iso(START + d * DAY) }, `day-${d}`);
    if (options.status) expect([d, last(chain).status]).toEqual([d, options.status]);
    for (const g of groups) expect([g, d, retention(x, g), x.logs.lostUnarchived(g)]).toEqual([g, d, retention(x, g), []]);
  }
}
