import { ArnFormat, Fn, Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Source } from './shared/config';

const NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/** @internal */
export interface BoundSelection {
  readonly sources: Source[];
  readonly excludePrefixes: string[];
  /** True when the selection names its groups one by one. */
  readonly explicit: boolean;
  /** Log group ARNs CreateExportTask may be called on. */
  readonly arns: string[];
}

/**
 * Which log groups of the account and region are exported.
 */
export class LogGroupSelection {
  /** Every log group of the account and region (the construct's own log groups excepted). */
  public static all(): LogGroupSelection {
    return new LogGroupSelection('all', [], []);
  }

  /** Every log group whose name starts with one of the prefixes, e.g. `/aws/lambda/`. */
  public static prefixes(prefixes: string[]): LogGroupSelection {
    return new LogGroupSelection('prefixes', validate('prefixes', prefixes), []);
  }

  /**
   * Exactly these log groups, by name. A list known only at deploy time (a `CommaDelimitedList`
   * parameter's `valueAsList`) is read by the handler; its role may then export any log group of
   * the account and region, as IAM cannot name groups not known at synthesis.
   */
  public static names(names: string[]): LogGroupSelection {
    if (Token.isUnresolved(names)) return new LogGroupSelection('names', names, [], true);
    return new LogGroupSelection('names', validate('names', names), []);
  }

  /** Exactly these log groups. */
  public static logGroups(logGroups: logs.ILogGroup[]): LogGroupSelection {
    if (logGroups.length === 0) throw new Error('LogGroupSelection.logGroups() needs at least one log group');
    return new LogGroupSelection('names', logGroups.map((g) => g.logGroupName), []);
  }

  private constructor(
    private readonly kind: 'all' | 'prefixes' | 'names',
    private readonly values: string[],
    private readonly excluded: string[],
    /** Whether `values` is a list known only at deploy time. */
    private readonly deployTimeList = false,
  ) {}

  /** The same selection without the log groups whose name starts with one of these prefixes. */
  public excluding(prefixes: string[]): LogGroupSelection {
    const excluded = [...this.excluded, ...validate('excluded prefixes', prefixes)];
    const known = (v: string) => !Token.isUnresolved(v);
    const removed = (v: string) => excluded.filter(known).some((p) => v.startsWith(p));
    if (this.kind !== 'all' && !this.deployTimeList && this.values.every(known) && this.values.every(removed)) {
      throw new Error(`LogGroupSelection: the excluded prefixes ${JSON.stringify(excluded)} remove every selected log group ` +
        `(${this.kind} ${JSON.stringify(this.values)}): nothing would be exported`);
    }
    return new LogGroupSelection(this.kind, this.values, excluded, this.deployTimeList);
  }

  /** @internal */
  public _bind(scope: Construct): BoundSelection {
    const stack = Stack.of(scope);
    const arn = (name: string) => stack.formatArn({
      service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    if (this.kind === 'all') {
      return { sources: [{}], excludePrefixes: this.excluded, explicit: false, arns: [arn('*')] };
    }
    if (this.kind === 'prefixes') {
      // A prefix inside another prefix would visit its groups twice: keep the outer one.
      const outer = [...new Set(this.values)].filter((p) => !this.values.some((q) => q !== p && p.startsWith(q))).sort();
      return { sources: outer.map((prefix) => ({ prefix })), excludePrefixes: this.excluded, explicit: false, arns: outer.map((p) => arn(`${p}*`)) };
    }
    if (this.deployTimeList) {
      // The handler reads the names from one comma-separated list (a log group name has no comma).
      return { sources: [{ names: Fn.join(',', this.values) }], excludePrefixes: this.excluded, explicit: true, arns: [arn('*')] };
    }
    const names = [...new Set(this.values)];
    return {
      sources: names.map((prefix) => ({ prefix, exact: true })),
      excludePrefixes: this.excluded,
      explicit: true,
      arns: names.flatMap((n) => [arn(n), arn(`${n}:*`)]),
    };
  }
}

function validate(what: string, values: string[]): string[] {
  if (values.length === 0) throw new Error(`LogGroupSelection: ${what} must not be empty`);
  for (const v of values) {
    if (!Token.isUnresolved(v) && !NAME.test(v)) {
      throw new Error(`LogGroupSelection: ${what} holds '${v}', which is not a log group name or prefix (1-512 of A-Z a-z 0-9 . - _ / #)`);
    }
  }
  return values;
}
