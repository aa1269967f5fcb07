import { awscdk, javascript, typescript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-cloudwatch-logs-s3-exporter',
  description:
    'AWS CDK construct that exports CloudWatch Logs log groups to S3 every day (or hour), ' +
    'exactly once, one CreateExportTask at a time, driven by Step Functions.',
  author: 'cdk-cloudwatch-logs-s3-exporter maintainers',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter.git',
  license: 'Apache-2.0',
  keywords: ['cdk', 'awscdk', 'aws-cdk', 'cloudwatch', 'logs', 's3', 'export'],
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  // `npx projen` only runs this file; `test` type-checks it (task typecheck:projenrc).
  projenrcTsOptions: { runner: typescript.TypeScriptRunner.tsNode({ typeCheck: false, tsconfig: 'projenrc/tsconfig.json' }) },
  packageManager: javascript.NodePackageManager.NPM,

  // The oldest release that every registry serves (npm, PyPI, Maven Central, the Go module proxy
  // with a checksum) and whose Go module compiles with constructs 10.5: aws-cdk-go releases up to
  // 2.238.0 were generated against constructs 10.4 and do not compile against constructs-go 10.5
  // (ambiguous selector With); 2.239.0 compiles but the Go checksum database does not serve it.
  // Stable aws-scheduler and aws-scheduler-targets.
  cdkVersion: '2.240.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',
  minNodeVersion: '20.0.0',
  // The release tooling (and jsii) need a current LTS; users' apps may run on 20.
  workflowNodeVersion: '22.x',
  // Experimental until 1.0: the API may still change between minor releases.
  stability: 'experimental',
  tsconfigDevFile: 'tsconfig.dev.json',
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'bench', 'examples', '.projenrc.ts'],
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
  },

  // The handler is bundled with esbuild, AWS SDK v3 included: the tested SDK is the deployed SDK.
  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    // Minified (1.8 MB to about half), the AWS SDK bundled: the SDK tested is the SDK deployed.
    // (Lambda bundles take every option of addBundle; the type names only some.)
    bundlingOptions: { externals: [], sourcemap: false, minify: true, keepNames: true } as javascript.BundlingOptions,
    awsSdkConnectionReuse: false,
  },
  devDeps: [
    '@aws-cdk/integ-runner@^2.197.10',
    // The newest integ-tests release whose aws-cdk-lib peer range includes cdkVersion.
    '@aws-cdk/integ-tests-alpha@2.239.0-alpha.0',
    '@aws-lambda-powertools/logger@^2',
    '@aws-lambda-powertools/metrics@^2',
    '@aws-sdk/client-cloudwatch@^3',
    '@aws-sdk/client-cloudwatch-logs@^3',
    '@aws-sdk/client-s3@^3',
    // A SQL engine reading the exports the way the Athena table defines them (tests and the demo).
    '@duckdb/node-api@1.5.6-r.1',
    '@smithy/util-retry@^4',
    '@types/aws-lambda',
    'aws-sdk-client-mock@^4',
    'aws-local-stepfunctions@^3',
    'cdk-nag@^2',
    'esbuild',
  ],

  jestOptions: {
    // A snapshot that does not match must fail the test run, never be rewritten silently.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      setupFiles: ['<rootDir>/test/setup.ts'],
      testTimeout: 120_000,
      // The demo test needs moto from PyPI: its own task (test:demo), so that `test` runs offline.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/demo/'],
    },
  },

  publishToPypi: {
    distName: 'cdk-cloudwatch-logs-s3-exporter',
    module: 'cdk_cloudwatch_logs_s3_exporter',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdk_cloudwatch_logs_s3_exporter',
    mavenGroupId: 'io.github.cdk-cloudwatch-logs-s3-exporter',
    mavenArtifactId: 'cdk-cloudwatch-logs-s3-exporter',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter-go',
  },

  gitignore: ['/.venv/', '/.demo/', '/cdk.out/', '*.bench.json', '/.jsii.tabl.json'],
});

project.tsconfigDev.addInclude('.projenrc.ts');
// The Java consumer test's build output and Maven repository (after the constructor's `!/test/`).
project.gitignore.exclude('/test/bindings/java/target/');

// The package holds the library and the handler asset only: not the local-run environment,
// benchmark, examples or their outputs.
project.npmignore?.exclude('/.demo/', '/.venv/', '/.compat/', '/bench/', '/examples/', '/docs/', '/cdk.out/', '*.bench.json', '/rosetta/', '/.jsii.tabl.json');

// Handlers and the CLI bundle their SDK clients (devDependencies): nothing in the published API imports them.
project.eslint?.addOverride({
  files: ['src/**/*.lambda.ts', 'src/handler/**', 'src/cli/**'],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }] },
});

// The coverage report, a command of the npm package: one bundled file (AWS SDK included), no runtime dependencies.
const coverageCli = project.bundler.addBundle('./src/cli/main.ts', {
  platform: 'node',
  target: 'node20',
  externals: [],
  sourcemap: false,
  minify: true,
  executable: true,
  banner: '#!/usr/bin/env node',
});
project.addBins({ 'cdk-cloudwatch-logs-s3-exporter': coverageCli.outfile });

// The README's TypeScript snippets compile (with the fixtures in rosetta/), as Construct Hub
// translates them to Python, Java and Go.
project.postCompileTask.spawn(project.addTask('rosetta:extract', {
  description: "Compile the README's TypeScript snippets and translate them (jsii-rosetta, strict)",
  exec: 'jsii-rosetta extract --strict',
}));

// Tests load the bundled handler asset: bundle before testing, also on a fresh clone.
project.testTask.prependSpawn(project.tasks.tryFind('bundle')!);
project.testTask.spawn(project.addTask('typecheck:projenrc', {
  description: 'Type-check .projenrc.ts and projenrc/',
  exec: 'tsc --noEmit -p projenrc/tsconfig.json',
}));

// Integration test (test/integ.*.ts): `integ` checks its committed snapshot without deploying
// (part of `test`); `integ:deploy` runs it against the account of the current AWS credentials.
const integRunner = 'integ-runner --directory test --language typescript --app "ts-node --transpile-only --project tsconfig.dev.json {filePath}"';
const integ = project.addTask('integ', {
  description: 'Check the integration test snapshots (no deployment)',
  exec: integRunner,
});
project.addTask('integ:update', {
  description: 'Rewrite the integration test snapshots from a synthesis (no deployment)',
  exec: `${integRunner} --update-on-failed --dry-run`,
});
project.addTask('integ:deploy', {
  description: 'Deploy the integration tests to the current AWS account, run their assertions, destroy them, update snapshots',
  exec: `${integRunner} --update-on-failed --force`,
});
project.testTask.spawn(integ);

// The Python, Java and Go packages as a user gets them, each with aws-cdk-lib at cdkVersion
// from its own registry.
const testPython = project.addTask('test:python', {
  description: 'Install the Python wheel from dist/python with aws-cdk-lib from PyPI; synthesize and assert a Python CDK app',
  exec: 'bash test/bindings/python/run.sh',
});
const testJava = project.addTask('test:java', {
  description: 'Use the jar from dist/java with aws-cdk-lib from Maven Central; synthesize and assert a Java CDK app (JUnit)',
  exec: 'bash test/bindings/java/run.sh',
});
const testGo = project.addTask('test:go', {
  description: 'Use the Go module from dist/go with aws-cdk-go from the Go module proxy; synthesize and assert a Go CDK app (go test)',
  exec: 'bash test/bindings/go/run.sh',
});

// The examples synthesized with the npm package and the oldest and newest aws-cdk-lib 2.x (from the
// npm registry): fails when the library calls an API aws-cdk-lib deprecates.
const testCdkVersions = project.addTask('test:cdk-versions', {
  description: 'Install the package from dist/js with the oldest and the newest aws-cdk-lib 2.x; synthesize the examples; fail on a deprecated call of this library',
  exec: 'bash test/compat/run.sh',
});
project.gitignore.exclude('/.compat/');

// `build` packages JavaScript, Java, Python and Go, then tests each binding as a user gets it, and
// runs the demo test (the tests that need package registries).
project.packageTask.reset();
for (const target of ['js', 'java', 'python', 'go']) project.packageTask.spawn(project.tasks.tryFind(`package:${target}`)!);
for (const test of [testCdkVersions, testPython, testJava, testGo]) project.packageTask.spawn(test);

// The demo as a test: moto (from PyPI, installed on first use) on 127.0.0.1, the bundled handler.
const testDemo = project.addTask('test:demo', {
  description: 'Run the demo as a test against moto on 127.0.0.1 (installs moto from PyPI into .demo/venv on first use)',
  // The path first: every value after --testPathIgnorePatterns would be read as another pattern to ignore.
  steps: [{ spawn: 'bundle' }, { exec: 'jest test/demo --coverage=false --testPathIgnorePatterns=/node_modules/' }],
});
project.packageTask.spawn(testDemo);

project.addTask('demo', {
  description: 'Run the example app on this machine: moto (CloudWatch Logs, S3) on 127.0.0.1, the synthesized state machine, the bundled handler',
  steps: [{ spawn: 'bundle' }, { exec: 'ts-node --transpile-only --project tsconfig.dev.json examples/demo.ts' }],
});
project.addTask('bench', {
  description: 'Benchmark the export loop on the fakes for 100, 1,000 and 10,000 log groups; writes docs/benchmarks.md',
  steps: [{ spawn: 'bundle' }, { exec: 'ts-node --transpile-only --project tsconfig.dev.json bench/run.ts', receiveArgs: true }],
});

project.synth();
