/**
 * Runs the synthesized state machine with aws-local-stepfunctions, its Lambda task bound to the
 * real handler engine, its continue-as-new task bound to starting the next execution, on the
 * virtual clock of the fakes. Emulates what the local interpreter lacks: `$$.State.RetryCount`,
 * the Wait state's duration (advanced on the virtual clock) and the execution timeout.
 */
import { KillPoint, Call, FakeLogs, VirtualClock, invocations, releaseHeld } from './fakes';
import { ExporterStack, exporterOf } from './local/assembly';
import { localStateMachine, runOptions } from './local/run';
import { TurnResult } from '../../src/handler/engine';
import { handler } from '../../src/handler/exporter.lambda';
import { ExporterConfig, parseConfig } from '../../src/shared/config';

export { ACCOUNT, REGION, resolve } from './local/assembly';

export interface Synthesized extends ExporterStack {
  readonly config: ExporterConfig;
}

/** The state machine definition and the handler configuration of a synthesized template. */
export function fromTemplate(template: any, bucketName = 'exports-bucket', stackName?: string): Synthesized {
  const exporter = exporterOf(template, bucketName, stackName);
  return { ...exporter, config: parseConfig(exporter.config) };
}

export interface Execution {
  readonly name: string;
  /** Input of the last Export state entered. */
  lastExportInput?: unknown;
  /** The last state entered, and its input: where a redrive restarts. */
  lastState?: { readonly name: string; readonly input: unknown };
  /** The execution its ContinueAsNew state started, if it did (whatever that state answered). */
  continued?: { readonly name: string; readonly input: unknown };
  redriveCount: number;
  /** `$$.Execution.StartTime` (kept by a redrive). */
  startedAt: number;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  error?: string;
  cause?: string;
  output?: TurnResult;
  /** States entered (each is one billed state transition). */
  transitions: number;
  /** Execution history events, counted as Step Functions writes them. */
  historyEvents: number;
  invocations: number;
}

/** One handler invocation, as fault rules see it. */
export interface InvocationInfo {
  /** The execution's name. */
  readonly execution: string;
  /** 1-based, over the whole run (every execution of the chain, retries included). */
  readonly number: number;
  /** 1-based, within the execution. */
  readonly inExecution: number;
  readonly retryCount: number;
  readonly redriveCount: number;
}

export interface RunOptions {
  /** Throw from the handler, before it does anything, on the invocations this says. */
  readonly crashWhen?: (inv: InvocationInfo) => boolean;
  /** Invocations that hang for `hangMs` of virtual time, then time out (a stuck dependency). */
  readonly hangOn?: number[];
  readonly hangMs?: number;
  /**
   * Kills an invocation at one of its SDK calls, before or after the call takes effect: the
   * invocation dies there (no later call of it takes effect) and the state machine retries the
   * task with the killed attempt's input, as after a Lambda timeout or out-of-memory error.
   */
  readonly kill?: (inv: InvocationInfo) => ((call: Call) => KillPoint | undefined) | undefined;
  /**
   * StartExecution of the ContinueAsNew state, as a fault rule sees it (its attempt: 1-based):
   * 'before' fails it without effect, 'after' starts the execution and answers an error (its
   * answer lost). A name already started answers ExecutionAlreadyExists, as Step Functions does.
   */
  readonly continueFault?: (execution: string, attempt: number) => 'before' | 'after' | undefined;
  /**
   * Invocations whose answer the state machine never gets (Lambda.ClientExecutionTimeoutException):
   * it retries at once while the invocation keeps running until it ends or its timeout kills it.
   */
  readonly clientTimeoutOn?: (inv: InvocationInfo) => boolean;
  /** Called before each invocation (to move the clock, or start other runs meanwhile). */
  readonly beforeInvocation?: (inv: InvocationInfo) => Promise<void> | void;
}

/**
 * How long Step Functions waits before the n-th retry of a task after an error, by the task's
 * Retry configuration (jitter left out: the full interval).
 */
function retryDelayMs(retriers: any[], error: string, attempt: number): number {
  const r = retriers.find((x) => x.ErrorEquals.includes(error) || x.ErrorEquals.includes('States.ALL'));
  if (!r) return 0;
  const interval = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** (attempt - 1);
  return Math.min(interval, r.MaxDelaySeconds ?? Infinity) * 1000;
}

/** More invocations than any test run needs: an execution past it is stuck in a loop. */
const MAX_INVOCATIONS = 20_000;

export class Loop {
  readonly executions: Execution[] = [];
  /** Handler invocations and their simulated duration (ms) over all runs. */
  invocations = 0;
  handlerMs = 0;
  /** The largest answer of the handler (characters of JSON): Step Functions passes at most 256 KB. */
  largestAnswer = 0;
  /** Names of the executions started so far. */
  private readonly started = new Set<string>();
  /** Invocations still running after the state machine stopped waiting for them. */
  private readonly background: Promise<unknown>[] = [];

  /** The S3 keys (and listing prefixes) the handler read and wrote, over all runs. */
  readonly touched: string[] = [];

  /** `logs`: the CloudWatch Logs of the exporter's account, when it is not the one the fakes were installed with. */
  constructor(private readonly synth: Synthesized, private readonly clock: VirtualClock, private readonly invocationOverheadMs = 0,
    private readonly logs?: FakeLogs) {
  }

  /** Runs an execution and the executions it continues as, to the end of the chain. */
  async run(input: unknown, name = `run-${this.executions.length + 1}`, options: RunOptions = {}): Promise<Execution[]> {
    return this.chain(await this.execute({ name, input, options }), options);
  }

  /**
   * Redrives a failed, timed-out or aborted execution as Step Functions does: the same execution
   * (name, ARN) restarts at the state it failed in (Export, or ContinueAsNew) with the input that
   * state last had, with `$$.Execution.RedriveCount` one higher; then the chain it continues as.
   */
  async redrive(failed: Execution, options: RunOptions = {}): Promise<Execution[]> {
    if (failed.status === 'SUCCEEDED') throw new Error('only an unsuccessful execution can be redriven');
    const at = failed.lastState ?? { name: 'Export', input: failed.lastExportInput };
    const e = await this.execute({
      name: failed.name, input: at.input, options, redriveCount: failed.redriveCount + 1, startAt: at.name, startedAt: failed.startedAt,
    });
    return this.chain(e, options);
  }


  /** Resumes held calls, then waits for the invocations that were still running in the background. */
  async settled(): Promise<void> {
    await releaseHeld();
    await Promise.allSettled(this.background);
  }

  /** The chain from `first`: each execution a ContinueAsNew state started, whatever that state answered. */
  private async chain(first: Execution, options: RunOptions): Promise<Execution[]> {
    const chain: Execution[] = [first];
    let e = first;
    while (e.continued) {
      e = await this.execute({ name: e.continued.name, input: e.continued.input, options });
      chain.push(e);
    }
    return chain;
  }

  private async execute(run: {
    name: string; input: unknown; options: RunOptions; redriveCount?: number; startAt?: string; startedAt?: number;
  }): Promise<Execution> {
    const { name, input, options } = run;
    const redriveCount = run.redriveCount ?? 0;
    // A redriven execution keeps its start time ($$.Execution.StartTime); its timeout counts from the redrive.
    const started = run.startedAt ?? this.clock.now;
    const timeoutFrom = this.clock.now;
    const exec: Execution = { name, status: 'SUCCEEDED', transitions: 0, historyEvents: 2, invocations: 0, redriveCount, startedAt: started };
    this.executions.push(exec);
    this.started.add(name);
    let continueAttempts = 0;
    // StartExecution of the next execution of the chain (run by chain() once this one has ended).
    const continueAsNew = async (parameters: any) => {
      const next = { name: String(parameters.Name), input: { state: parameters.Input.state } };
      continueAttempts += 1;
      const fault = options.continueFault?.(name, continueAttempts);
      if (this.started.has(next.name) || exec.continued?.name === next.name) {
        throw Object.assign(new Error(`Execution Already Exists: '${next.name}'`), { name: 'StepFunctions.ExecutionAlreadyExistsException' });
      }
      if (fault === 'before') throw Object.assign(new Error('Rate exceeded'), { name: 'StepFunctions.ExecutionLimitExceededException' });
      exec.continued = next;
      if (fault === 'after') throw Object.assign(new Error('Service unavailable'), { name: 'States.TaskFailed' });
      return {};
    };
    const machine = localStateMachine(run.startAt ? { ...this.synth.definition, StartAt: run.startAt } : this.synth.definition);
    let retryCount = 0;
    let lastError = '';
    let lastResult: TurnResult | undefined;
    let timedOut = false;
    let abort = () => {};
    const options_ = runOptions(name, async (parameters: any) => {
      // Lambda receives a serialized copy of its input.
      const payload = JSON.parse(JSON.stringify(parameters));
      exec.lastExportInput = payload.input;
      // The Wait state before this turn lasted waitSeconds; a retry waited its interval.
      if (retryCount > 0) this.clock.now += retryDelayMs(this.synth.definition.States.Export.Retry, lastError, retryCount);
      else if (payload.input?.status === 'WAIT') this.clock.now += payload.input.waitSeconds * 1000;
      if (this.clock.now - timeoutFrom > this.synth.timeoutSeconds * 1000) {
        timedOut = true;
        abort();
        throw new Error('States.Timeout');
      }
      this.invocations += 1;
      exec.invocations += 1;
      exec.historyEvents += 3;
      // A run that never ends (a livelock) fails here instead of hanging the test.
      if (exec.invocations > MAX_INVOCATIONS) throw Object.assign(new Error(`more than ${MAX_INVOCATIONS} invocations`), { name: 'HarnessLimit' });
      const info: InvocationInfo = { execution: name, number: this.invocations, inExecution: exec.invocations, retryCount, redriveCount };
      await options.beforeInvocation?.(info);
      const t0 = this.clock.now;
      const deadline = t0 + this.synth.lambdaTimeoutSeconds * 1000;
      const background = options.clientTimeoutOn?.(info) ?? false;
      // Only the invocation left running in the background is killed at its timeout: concurrent
      // executions share the virtual clock, whose Wait states would otherwise cut others short.
      const invocation = {
        kill: options.kill?.(info),
        deadline: background ? deadline : undefined,
        pause: (ms: number) => { this.clock.now += ms; },
        calls: 0,
        dead: false,
        logs: this.logs,
        touched: this.touched,
      };
      const turn = async () => {
        if (options.crashWhen?.(info)) throw new Error('simulated crash of the handler');
        if (options.hangOn?.includes(info.number)) {
          this.clock.now += options.hangMs ?? 0;
          throw Object.assign(new Error('Task timed out'), { name: 'Sandbox.Timedout' });
        }
        const executionStart = new Date(started).toISOString(); // the interpreter's is wall-clock time
        // The handler as Lambda runs it, with the configuration as the test changed it.
        const event = { ...payload, config: this.synth.config, retryCount, redriveCount, executionStart };
        const result = await handler(event, { getRemainingTimeInMillis: () => deadline - this.clock.now });
        // An invocation killed at a call whose error the handler swallowed still died there.
        if (invocation.dead) throw Object.assign(new Error('the invocation was killed'), { name: 'Sandbox.Timedout' });
        return result;
      };
      const running = invocations.run(invocation, turn);
      if (background) {
        // The state machine stops waiting; the invocation runs on until it ends or times out.
        this.background.push(running.catch(() => undefined));
        retryCount += 1;
        lastError = 'Lambda.ClientExecutionTimeoutException';
        throw Object.assign(new Error('Lambda.ClientExecutionTimeoutException'), { name: 'Lambda.ClientExecutionTimeoutException' });
      }
      try {
        lastResult = await running;
        this.largestAnswer = Math.max(this.largestAnswer, JSON.stringify(lastResult).length);
        retryCount = 0;
        return lastResult;
      } catch (e) {
        retryCount += 1;
        const failure = e instanceof Error && e.name === 'Killed' ? Object.assign(new Error(e.message), { name: 'Sandbox.Timedout' }) : e;
        lastError = (failure as Error).name;
        throw failure;
      } finally {
        this.clock.now += this.invocationOverheadMs;
        this.handlerMs += this.clock.now - t0;
      }
    }, redriveCount, continueAsNew);
    const execution = machine.run(input as any, { noThrowOnAbort: true, ...options_ });
    abort = execution.abort;
    const counting = (async () => {
      for await (const ev of execution.eventLogs) {
        if (ev.type === 'StateEntered') {
          exec.transitions += 1;
          exec.historyEvents += 1;
          exec.lastState = { name: (ev as any).state.name, input: (ev as any).state.input };
        } else if (ev.type === 'StateExited' || ev.type === 'StateRetried') {
          exec.historyEvents += 1;
        }
      }
    })();
    try {
      await execution.result;
    } catch (e: any) {
      exec.status = 'FAILED';
      exec.error = e.cause?.name ?? e.name;
      exec.cause = e.cause?.message ?? e.message;
    }
    await counting;
    exec.output = lastResult;
    if (timedOut) exec.status = 'TIMED_OUT';
    return exec;
  }
}
