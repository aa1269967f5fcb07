/**
 * Reads what a synthesized exporter stack needs to run locally: the state machine definition,
 * the handler's configuration and the handler asset, with intrinsic functions resolved.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

/**
 * Resolves the intrinsic functions of a synthesized value with fixed names for references (and
 * `AWS::StackName` from `refs`, when given there).
 */
export function resolve(value: any, refs: Record<string, string | string[]>): any {
  if (Array.isArray(value)) return value.map((v) => resolve(v, refs));
  if (value && typeof value === 'object') {
    if ('Ref' in value) {
      const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': 'Stack' };
      return refs[value.Ref] ?? pseudo[value.Ref] ?? `ref-${value.Ref}`;
    }
    if ('Fn::GetAtt' in value) return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${value['Fn::GetAtt'][0]}`;
    if ('Fn::Join' in value) return [resolve(value['Fn::Join'][1], refs)].flat().join(value['Fn::Join'][0]);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, refs)]));
  }
  return value;
}

export interface ExporterStack {
  /** The name given to the stack's bucket. */
  readonly bucket: string;
  /** The state machine definition (Amazon States Language). */
  readonly definition: any;
  /** The handler's configuration, as the state machine passes it with every turn. */
  readonly config: any;
  /** The state machine's timeout. */
  readonly timeoutSeconds: number;
  /** The handler function's timeout. */
  readonly lambdaTimeoutSeconds: number;
  /** The S3 key of the handler's code asset. */
  readonly codeKey: string;
}

/** The exporter of a synthesized template; the bucket the stack creates is given `bucketName`. */
export function exporterOf(template: any, bucketName: string, stackName = 'Stack'): ExporterStack {
  const resources = Object.entries<any>(template.Resources);
  const refs: Record<string, string> = { 'AWS::StackName': stackName };
  for (const [id, r] of resources) {
    if (r.Type === 'AWS::S3::Bucket') refs[id] = bucketName;
    if (r.Type === 'AWS::Logs::LogGroup') refs[id] = `/own/${id}`;
  }
  const sm = resources.find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')![1];
  const definition = JSON.parse(resolve(sm.Properties.DefinitionString, refs));
  const fn = resources.find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME)![1];
  return {
    bucket: bucketName,
    definition,
    config: definition.States.Export.Parameters.config,
    timeoutSeconds: definition.TimeoutSeconds,
    lambdaTimeoutSeconds: fn.Properties.Timeout,
    codeKey: resolve(fn.Properties.Code.S3Key, refs),
  };
}

export interface AssemblyExporter extends ExporterStack {
  /** The folder of the handler asset in the cloud assembly: what would be deployed. */
  readonly handlerDir: string;
}

/** The exporter of a stack in a cloud assembly folder (`cdk.out`). */
export function loadExporter(outdir: string, stackName: string, bucketName: string): AssemblyExporter {
  const read = (file: string) => JSON.parse(readFileSync(join(outdir, file), 'utf8'));
  const exporter = exporterOf(read(`${stackName}.template.json`), bucketName, stackName);
  const assets = read(`${stackName}.assets.json`).files as Record<string, any>;
  const asset = Object.values(assets).find((a) =>
    Object.values<any>(a.destinations).some((d) => d.objectKey === exporter.codeKey));
  if (!asset) throw new Error(`no asset of ${stackName} in ${outdir} is uploaded as ${exporter.codeKey}`);
  return { ...exporter, handlerDir: join(outdir, asset.source.path) };
}
