// The Go module as a user gets it (jsii-pacmak's dist/go, aws-cdk-go from the Go module proxy):
// a CDK app with the construct and several options, synthesized and asserted.
package consumer

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	exporter "github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter-go/cdkcloudwatchlogss3exporter"
)

func env() *awscdk.Environment {
	return &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")}
}

// synth builds the consumer stack; change sets props beyond the common ones.
func synth(change func(*exporter.CloudWatchLogsS3ExporterProps)) (exporter.CloudWatchLogsS3Exporter, assertions.Template) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Consumer"), &awscdk.StackProps{Env: env()})
	bucket := awss3.NewBucket(stack, jsii.String("Archive"), &awss3.BucketProps{EnforceSSL: jsii.Bool(true)})
	props := exporter.CloudWatchLogsS3ExporterProps{
		Destination:  exporter.ExportDestination_FromBucket(bucket, &exporter.BucketOptions{KeyPrefix: jsii.String("archive/logs")}),
		ExportPeriod: exporter.ExportPeriod_HOURLY(),
		LogGroups:    exporter.LogGroupSelection_Prefixes(jsii.Strings("/aws/lambda/", "app-")),
		Schedule: awsscheduler.ScheduleExpression_Cron(&awsscheduler.CronOptionsWithTimezone{
			Minute:   jsii.String("20"),
			TimeZone: awscdk.TimeZone_EUROPE_BERLIN(),
		}),
		TimeZone:        awscdk.TimeZone_EUROPE_BERLIN(),
		Timeout:         awscdk.Duration_Hours(jsii.Number(2)),
		MaxPollDuration: awscdk.Duration_Minutes(jsii.Number(2)),
		AlarmTopic:      awssns.NewTopic(stack, jsii.String("Alerts"), nil),
	}
	if change != nil {
		change(&props)
	}
	construct := exporter.NewCloudWatchLogsS3Exporter(stack, jsii.String("Exporter"), &props)
	return construct, assertions.Template_FromStack(stack, nil)
}

type object = map[string]interface{}

// joined renders a synthesized Fn::Join with references replaced by placeholders.
func joined(value interface{}) interface{} {
	if m, ok := value.(object); ok {
		if join, ok := m["Fn::Join"].([]interface{}); ok {
			parts := []string{}
			for _, p := range join[1].([]interface{}) {
				if s, ok := p.(string); ok {
					parts = append(parts, s)
				} else {
					parts = append(parts, "REF")
				}
			}
			return strings.Join(parts, join[0].(string))
		}
	}
	return value
}

// only returns the properties of the one resource of the type, and its logical id.
func only(t *testing.T, template assertions.Template, resourceType string) (object, string) {
	t.Helper()
	resources := *template.FindResources(jsii.String(resourceType), nil)
	if len(resources) != 1 {
		t.Fatalf("%d resources of type %s, want 1: %v", len(resources), resourceType, resources)
	}
	for id, resource := range resources {
		props, _ := (*resource)["Properties"].(object)
		return props, id
	}
	return nil, ""
}

// path walks nested objects by key.
func path(value interface{}, keys ...string) interface{} {
	for _, key := range keys {
		m, ok := value.(object)
		if !ok {
			return nil
		}
		value = m[key]
	}
	return value
}

func expect(t *testing.T, what string, got, want interface{}) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}

func definition(t *testing.T, template assertions.Template) object {
	t.Helper()
	props, _ := only(t, template, "AWS::StepFunctions::StateMachine")
	text, ok := joined(props["DefinitionString"]).(string)
	if !ok {
		t.Fatalf("DefinitionString is not a Fn::Join: %#v", props["DefinitionString"])
	}
	var def object
	if err := json.Unmarshal([]byte(text), &def); err != nil {
		t.Fatalf("DefinitionString is not JSON: %v", err)
	}
	return def
}

// panicMessage runs f and returns the message of the panic it raises ("" if none).
func panicMessage(f func()) (message string) {
	defer func() {
		if r := recover(); r != nil {
			if err, ok := r.(error); ok {
				message = err.Error()
			} else {
				message = fmt.Sprint(r)
			}
		}
	}()
	f()
	return ""
}

func TestStateMachineLoopsExportChoiceWaitAndTimesOutAsConfigured(t *testing.T) {
	construct, template := synth(nil)
	template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(1))
	def := definition(t, template)
	expect(t, "TimeoutSeconds", def["TimeoutSeconds"], float64(7200))
	expect(t, "StartAt", def["StartAt"], "Export")
	expect(t, "Export.Type", path(def, "States", "Export", "Type"), "Task")
	expect(t, "Export.Next", path(def, "States", "Export", "Next"), "WhatNext")
	expect(t, "WhatNext.Type", path(def, "States", "WhatNext", "Type"), "Choice")
	expect(t, "Wait.Type", path(def, "States", "Wait", "Type"), "Wait")
	expect(t, "Wait.SecondsPath", path(def, "States", "Wait", "SecondsPath"), "$.waitSeconds")
	expect(t, "Wait.Next", path(def, "States", "Wait", "Next"), "Export")
	expect(t, "KeyPrefix", *construct.KeyPrefix(), "archive/logs")
	expect(t, "ExportPeriod", *construct.ExportPeriod().Name(), "PT1H")
	expect(t, "state machine ARN unresolved", *awscdk.Token_IsUnresolved(construct.StateMachine().StateMachineArn()), true)
}

func TestHandlerIsConfiguredForHourlyWindowsInTheTimeZone(t *testing.T) {
	_, template := synth(nil)
	// The handler's configuration travels with every turn of the state machine.
	config := path(definition(t, template), "States", "Export", "Parameters", "config")
	expect(t, "period", path(config, "period"), "PT1H")
	expect(t, "timeZone", path(config, "timeZone"), "Europe/Berlin")
	expect(t, "keyPrefix", path(config, "keyPrefix"), "archive/logs")
	prefixes := []interface{}{}
	sources, _ := path(config, "sources").([]interface{})
	for _, source := range sources {
		prefixes = append(prefixes, path(source, "prefix"))
	}
	expect(t, "source prefixes", prefixes, []interface{}{"/aws/lambda/", "app-"})
}

func TestScheduleRunsTheStateMachineInTheTimeZone(t *testing.T) {
	_, template := synth(nil)
	schedule, _ := only(t, template, "AWS::Scheduler::Schedule")
	_, stateMachineId := only(t, template, "AWS::StepFunctions::StateMachine")
	expect(t, "ScheduleExpression", schedule["ScheduleExpression"], "cron(20 * * * ? *)")
	expect(t, "ScheduleExpressionTimezone", schedule["ScheduleExpressionTimezone"], "Europe/Berlin")
	expect(t, "State", schedule["State"], "ENABLED")
	expect(t, "Target.Arn", path(schedule, "Target", "Arn"), object{"Ref": stateMachineId})
}

func TestBucketPolicyLetsCloudWatchLogsOfThisAccountWriteUnderThePrefixOnly(t *testing.T) {
	_, template := synth(nil)
	policy, _ := only(t, template, "AWS::S3::BucketPolicy")
	// Statement ids end in a suffix unique to the exporter (several may share a bucket).
	suffix := regexp.MustCompile(`[0-9A-F]{8}$`)
	bySid := map[string]interface{}{}
	for _, statement := range path(policy, "PolicyDocument", "Statement").([]interface{}) {
		sid, _ := path(statement, "Sid").(string)
		bySid[suffix.ReplaceAllString(sid, "")] = statement
	}
	put := bySid["CloudWatchLogsPutExports"]
	expect(t, "put Principal", path(put, "Principal"), object{"Service": "logs.eu-west-1.amazonaws.com"})
	expect(t, "put Action", path(put, "Action"), "s3:PutObject")
	if resource, _ := joined(path(put, "Resource")).(string); !strings.HasSuffix(resource, "/archive/logs/*") {
		t.Errorf("put Resource %#v does not end in /archive/logs/*", path(put, "Resource"))
	}
	expect(t, "put SourceAccount", path(put, "Condition", "StringEquals", "aws:SourceAccount"), "123456789012")
	expect(t, "GetBucketAcl Action", path(bySid["CloudWatchLogsGetBucketAcl"], "Action"), "s3:GetBucketAcl")
	// No export can write into the exporters' state, beside the exports: neither CloudWatch Logs
	// itself nor a principal whose permission a service uses.
	for _, sid := range []string{"CloudWatchLogsNeverWritesState", "NoStateWritesThroughServices"} {
		deny := bySid[sid]
		expect(t, sid+" Effect", path(deny, "Effect"), "Deny")
		if resource, _ := joined(path(deny, "Resource")).(string); !strings.HasSuffix(resource, "/_state/*") {
			t.Errorf("%s Resource %#v does not end in /_state/*", sid, path(deny, "Resource"))
		}
	}
	expect(t, "via-service deny Condition", path(bySid["NoStateWritesThroughServices"], "Condition", "Bool", "aws:ViaAWSService"), "true")
}

func TestFailureFreshnessAndCoverageAlarmsNotifyTheTopic(t *testing.T) {
	construct, template := synth(nil)
	_, topicId := only(t, template, "AWS::SNS::Topic")
	topic := object{"Ref": topicId}
	alarms := *template.FindResources(jsii.String("AWS::CloudWatch::Alarm"), nil)
	// The run-failure, freshness and coverage alarms, sent to the topic when they fire and when they are OK again.
	metrics := []string{}
	for id, alarm := range alarms {
		props := (*alarm)["Properties"]
		name, _ := path(props, "MetricName").(string)
		metrics = append(metrics, name)
		expect(t, id+" AlarmActions", path(props, "AlarmActions"), []interface{}{topic})
		expect(t, id+" OKActions", path(props, "OKActions"), []interface{}{topic})
	}
	sort.Strings(metrics)
	expect(t, "alarm metrics", metrics, []string{"", "", "ArchiveLag"})
	expect(t, "alarm ARN unresolved", *awscdk.Token_IsUnresolved(construct.FailureAlarm().AlarmArn()), true)
	expect(t, "freshness alarm ARN unresolved", *awscdk.Token_IsUnresolved(construct.FreshnessAlarm().AlarmArn()), true)
	expect(t, "coverage alarm ARN unresolved", *awscdk.Token_IsUnresolved(construct.CoverageAlarm().AlarmArn()), true)
}

func TestAthenaTableOverTheExportsWithAnHourPartition(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Query"), &awscdk.StackProps{Env: env()})
	construct := exporter.NewCloudWatchLogsS3Exporter(stack, jsii.String("Exporter"), &exporter.CloudWatchLogsS3ExporterProps{
		ExportPeriod: exporter.ExportPeriod_HOURLY(),
		Destination:  exporter.ExportDestination_NewBucket(&exporter.NewBucketOptions{KeyPrefix: jsii.String("archive/logs")}),
	})
	source := exporter.ExportedLogsTableSource_FromExporter(construct)
	table := exporter.NewExportedLogsTable(stack, jsii.String("Logs"), &exporter.ExportedLogsTableProps{
		Source:    source,
		TableName: jsii.String("app_logs"),
		WorkGroup: jsii.Bool(true),
	})
	expect(t, "names", []string{*table.TableName(), *table.LinesTableName()}, []string{"app_logs", "app_logs_lines"})
	if table.WorkGroup() == nil {
		t.Error("no work group")
	}
	tables := *assertions.Template_FromStack(stack, nil).FindResources(jsii.String("AWS::Glue::Table"), nil)
	inputs := map[string]interface{}{}
	for _, resource := range tables {
		input := path((*resource)["Properties"], "TableInput")
		inputs[path(input, "Name").(string)] = input
	}
	expect(t, "view TableType", path(inputs["app_logs"], "TableType"), "VIRTUAL_VIEW")
	lines := inputs["app_logs_lines"]
	partitions := []interface{}{}
	keys, _ := path(lines, "PartitionKeys").([]interface{})
	for _, key := range keys {
		partitions = append(partitions, path(key, "Name"))
	}
	expect(t, "partition keys", partitions, []interface{}{"log_group", "day", "hour"})
	location, _ := joined(path(lines, "Parameters", "storage.location.template")).(string)
	if !strings.HasSuffix(location, "/archive/logs/${log_group}/${day}/${hour}/") {
		t.Errorf("storage.location.template %q", location)
	}

	message := panicMessage(func() {
		exporter.NewExportedLogsTable(stack, jsii.String("Bad"), &exporter.ExportedLogsTableProps{
			Source:    source,
			TableName: jsii.String("Bad-Name"),
		})
	})
	if !strings.Contains(message, "tableName must be lowercase letters") {
		t.Errorf("a bad tableName panicked with %q", message)
	}
}

func TestBadPropsFailAtSynthTimeWithTheLibraryMessage(t *testing.T) {
	message := panicMessage(func() {
		synth(func(props *exporter.CloudWatchLogsS3ExporterProps) { props.MaxAttempts = jsii.Number(0) })
	})
	if !strings.Contains(message, "maxAttempts must be an integer from 1 to 10") {
		t.Errorf("maxAttempts 0 panicked with %q", message)
	}
}
