/**
 * Executes a synthesized exporter state machine with aws-local-stepfunctions, its Lambda task
 * bound to the bundled handler of the cloud assembly, its continue-as-new task bound to starting
 * the next execution of the chain. Real time; the Wait state is not slept (the emulator
 * completes exports at once).
 */
import { join } from 'path';
import './polyfill';
import { StateMachine } from 'aws-local-stepfunctions';
import { AssemblyExporter } from './assembly';
import type { TurnResult } from '../../../src/handler/engine';
import type { Stats } from '../../../src/handler/run-state';

/** The handler's structured log line (Powertools): `message` and its fields. */
export type LogEntry = Record<string, any> & { readonly level: string; readonly message: string };

type Handler = (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<TurnResult>;

export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly cause?: string;
  /** The run's summary, as the handler ends it. */
  readonly summary?: string;
  readonly stats?: Stats;
  /** Executions in the chain (continue-as-new). */
  readonly executions: number;
}

/**
 * Loads the bundled handler of the assembly into this process, configured as the construct
 * configures it, its AWS SDK clients pointed at `endpoint` through the standard SDK settings.
 */
export function loadHandler(exporter: AssemblyExporter, endpoint: string): Handler {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(exporter.handlerDir, 'index.js')).handler;
}

/** Runs `fn` with the JSON lines written to stdout handed to `onLog` instead. */
async function capturingLogs<T>(onLog: (entry: LogEntry) => void, fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: any, ...rest: any[]) => {
    const text = String(chunk);
    const entries = text.split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
    if (entries.length === 0) return write.call(process.stdout, chunk, ...rest);
    entries.forEach(onLog);
    return true;
  }) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

/**
 * Options of a local run of the exporter's state machine: its Export task bound to `exportTask`
 * (which receives the task's parameters and must count retries itself: the interpreter leaves
 * `$$.State.RetryCount` at 0; a redrive passes `$$.Execution.RedriveCount`), ContinueAsNew bound to nothing (the caller starts the next
 * execution of the chain), the Wait state and retry intervals not slept.
 */
export function runOptions(executionName: string, exportTask: (parameters: any) => Promise<unknown>, redriveCount = 0,
  continueAsNew: (parameters: any) => Promise<unknown> = async () => ({})) {
  return {
    context: {
      Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:exporter:${executionName}`, Name: executionName, RedriveCount: redriveCount },
      StateMachine: { Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:exporter' },
      State: { RetryCount: 0 },
    } as any,
    overrides: {
      waitTimeOverrides: { Wait: 0 },
      retryIntervalOverrides: { Export: 0, ContinueAsNew: 0 },
      taskResourceLocalHandlers: { Export: exportTask, ContinueAsNew: continueAsNew },
    },
  };
}

/** The interpreter for a synthesized definition (its ARNs and paths are resolved placeholders). */
export function localStateMachine(definition: any): StateMachine {
  return new StateMachine(definition, { validationOptions: { checkArn: false, checkPaths: false } });
}

/** Runs an execution with `input` and the executions it continues as, to the end of the chain. */
export async function execute(exporter: AssemblyExporter, handler: Handler, input: unknown, name: string,
  onLog: (entry: LogEntry) => void = () => {}): Promise<ExecutionResult> {
  const machine = localStateMachine(exporter.definition);
  let next: { name: string; input: unknown } | undefined = { name, input };
  let executions = 0;
  let last: TurnResult | undefined;
  return capturingLogs(onLog, async () => {
    while (next) {
      executions += 1;
      let retryCount = 0;
      const run = machine.run(next.input as any, runOptions(next.name, async (payload: any) => {
        const timeoutAt = Date.now() + exporter.lambdaTimeoutSeconds * 1000;
        try {
          last = await handler({ ...JSON.parse(JSON.stringify(payload)), retryCount },
            { getRemainingTimeInMillis: () => timeoutAt - Date.now() });
          retryCount = 0;
          return last;
        } catch (e) {
          retryCount += 1;
          throw e;
        }
      }));
      try {
        await run.result;
      } catch (e: any) {
        return { status: 'FAILED', error: e.cause?.name ?? e.name, cause: e.cause?.message ?? e.message, executions };
      }
      next = last?.status === 'CONTINUE' ? { name: last.continuation!, input: { state: last.state } } : undefined;
    }
    return { status: 'SUCCEEDED', summary: last?.summary, stats: last?.state?.stats, executions };
  });
}
