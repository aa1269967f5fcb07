// The Java package as a user gets it (jsii-pacmak's jar, aws-cdk-lib from Maven Central):
// a CDK app with the construct and several options, synthesized and asserted.
package consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.cdk_cloudwatch_logs_s3_exporter.BucketOptions;
import io.github.cdk_cloudwatch_logs_s3_exporter.CloudWatchLogsS3Exporter;
import io.github.cdk_cloudwatch_logs_s3_exporter.ExportDestination;
import io.github.cdk_cloudwatch_logs_s3_exporter.ExportPeriod;
import io.github.cdk_cloudwatch_logs_s3_exporter.ExportedLogsTable;
import io.github.cdk_cloudwatch_logs_s3_exporter.ExportedLogsTableSource;
import io.github.cdk_cloudwatch_logs_s3_exporter.NewBucketOptions;
import io.github.cdk_cloudwatch_logs_s3_exporter.LogGroupSelection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.TimeZone;
import software.amazon.awscdk.Token;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.scheduler.CronOptionsWithTimezone;
import software.amazon.awscdk.services.scheduler.ScheduleExpression;
import software.amazon.awscdk.services.sns.Topic;

class ConsumerTest {
  private static final Environment ENV = Environment.builder().account("123456789012").region("eu-west-1").build();

  private static CloudWatchLogsS3Exporter exporter;
  private static Template template;

  /** The consumer stack; change sets props beyond the common ones. */
  private static Object[] synth(Consumer<CloudWatchLogsS3Exporter.Builder> change) {
    App app = new App();
    Stack stack = new Stack(app, "Consumer", StackProps.builder().env(ENV).build());
    Bucket bucket = Bucket.Builder.create(stack, "Archive").enforceSsl(true).build();
    CloudWatchLogsS3Exporter.Builder builder = CloudWatchLogsS3Exporter.Builder.create(stack, "Exporter")
        .destination(ExportDestination.fromBucket(bucket, BucketOptions.builder().keyPrefix("archive/logs").build()))
        .exportPeriod(ExportPeriod.HOURLY)
        .logGroups(LogGroupSelection.prefixes(List.of("/aws/lambda/", "app-")))
        .schedule(ScheduleExpression.cron(
            CronOptionsWithTimezone.builder().minute("20").timeZone(TimeZone.EUROPE_BERLIN).build()))
        .timeZone(TimeZone.EUROPE_BERLIN)
        .timeout(Duration.hours(2))
        .maxPollDuration(Duration.minutes(2))
        .alarmTopic(new Topic(stack, "Alerts"));
    change.accept(builder);
    CloudWatchLogsS3Exporter construct = builder.build();
    return new Object[] {construct, Template.fromStack(stack)};
  }

  @BeforeAll
  static void synthesize() {
    Object[] synthesized = synth(b -> { });
    exporter = (CloudWatchLogsS3Exporter) synthesized[0];
    template = (Template) synthesized[1];
  }

  /** A synthesized Fn::Join with references replaced by placeholders. */
  @SuppressWarnings("unchecked")
  static Object joined(Object value) {
    if (value instanceof Map && ((Map<String, Object>) value).containsKey("Fn::Join")) {
      List<Object> join = (List<Object>) ((Map<String, Object>) value).get("Fn::Join");
      return ((List<Object>) join.get(1)).stream()
          .map(p -> p instanceof String ? (String) p : "REF")
          .collect(Collectors.joining((String) join.get(0)));
    }
    return value;
  }

  /** Walks nested maps by key. */
  @SuppressWarnings("unchecked")
  static Object path(Object value, String... keys) {
    for (String key : keys) {
      if (!(value instanceof Map)) {
        return null;
      }
      value = ((Map<String, Object>) value).get(key);
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object value) {
    return (List<Object>) value;
  }

  static Map<String, Map<String, Object>> resources(Template t, String type) {
    return t.findResources(type);
  }

  static String onlyId(Template t, String type) {
    Map<String, Map<String, Object>> found = resources(t, type);
    assertEquals(1, found.size(), found.toString());
    return found.keySet().iterator().next();
  }

  static Object only(Template t, String type) {
    return path(resources(t, type).get(onlyId(t, type)), "Properties");
  }

  static Map<?, ?> definition() throws Exception {
    Object text = joined(path(only(template, "AWS::StepFunctions::StateMachine"), "DefinitionString"));
    return new ObjectMapper().readValue((String) text, Map.class);
  }

  @Test
  void stateMachineLoopsExportChoiceWaitAndTimesOutAsConfigured() throws Exception {
    template.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
    Map<?, ?> def = definition();
    assertEquals(7200, ((Number) def.get("TimeoutSeconds")).intValue());
    assertEquals("Export", def.get("StartAt"));
    assertEquals("Task", path(def, "States", "Export", "Type"));
    assertEquals("WhatNext", path(def, "States", "Export", "Next"));
    assertEquals("Choice", path(def, "States", "WhatNext", "Type"));
    assertEquals("Wait", path(def, "States", "Wait", "Type"));
    assertEquals("$.waitSeconds", path(def, "States", "Wait", "SecondsPath"));
    assertEquals("Export", path(def, "States", "Wait", "Next"));
    assertEquals("archive/logs", exporter.getKeyPrefix());
    assertEquals("PT1H", exporter.getExportPeriod().getName());
    assertTrue(Token.isUnresolved(exporter.getStateMachine().getStateMachineArn()));
  }

  @Test
  void handlerIsConfiguredForHourlyWindowsInTheTimeZone() throws Exception {
    // The handler's configuration travels with every turn of the state machine.
    Object config = path(definition(), "States", "Export", "Parameters", "config");
    assertEquals("PT1H", path(config, "period"));
    assertEquals("Europe/Berlin", path(config, "timeZone"));
    assertEquals("archive/logs", path(config, "keyPrefix"));
    List<Object> prefixes = list(path(config, "sources")).stream().map(s -> path(s, "prefix")).collect(Collectors.toList());
    assertEquals(List.of("/aws/lambda/", "app-"), prefixes);
  }

  @Test
  void scheduleRunsTheStateMachineInTheTimeZone() {
    Object schedule = only(template, "AWS::Scheduler::Schedule");
    assertEquals("cron(20 * * * ? *)", path(schedule, "ScheduleExpression"));
    assertEquals("Europe/Berlin", path(schedule, "ScheduleExpressionTimezone"));
    assertEquals("ENABLED", path(schedule, "State"));
    assertEquals(Map.of("Ref", onlyId(template, "AWS::StepFunctions::StateMachine")), path(schedule, "Target", "Arn"));
  }

  @Test
  void bucketPolicyLetsCloudWatchLogsOfThisAccountWriteUnderThePrefixOnly() {
    Map<String, Object> bySid = new HashMap<>();
    // Statement ids end in a suffix unique to the exporter (several may share a bucket).
    for (Object statement : list(path(only(template, "AWS::S3::BucketPolicy"), "PolicyDocument", "Statement"))) {
      Object sid = path(statement, "Sid");
      bySid.put(sid == null ? "" : ((String) sid).replaceAll("[0-9A-F]{8}$", ""), statement);
    }
    Object put = bySid.get("CloudWatchLogsPutExports");
    assertEquals(Map.of("Service", "logs.eu-west-1.amazonaws.com"), path(put, "Principal"));
    assertEquals("s3:PutObject", path(put, "Action"));
    assertTrue(((String) joined(path(put, "Resource"))).endsWith("/archive/logs/*"), String.valueOf(path(put, "Resource")));
    assertEquals("123456789012", path(put, "Condition", "StringEquals", "aws:SourceAccount"));
    assertEquals("s3:GetBucketAcl", path(bySid.get("CloudWatchLogsGetBucketAcl"), "Action"));
    // No export can write into the exporters' state, beside the exports: neither CloudWatch Logs
    // itself nor a principal whose permission a service uses.
    for (String sid : List.of("CloudWatchLogsNeverWritesState", "NoStateWritesThroughServices")) {
      Object deny = bySid.get(sid);
      assertEquals("Deny", path(deny, "Effect"));
      assertTrue(((String) joined(path(deny, "Resource"))).endsWith("/_state/*"), String.valueOf(path(deny, "Resource")));
    }
    assertEquals("true", path(bySid.get("NoStateWritesThroughServices"), "Condition", "Bool", "aws:ViaAWSService"));
  }

  @Test
  void failureFreshnessAndCoverageAlarmsNotifyTheTopic() {
    Map<String, Object> topic = Map.of("Ref", onlyId(template, "AWS::SNS::Topic"));
    Map<String, Map<String, Object>> alarms = resources(template, "AWS::CloudWatch::Alarm");
    // The run-failure, freshness and coverage alarms, sent to the topic when they fire and when they are OK again.
    List<String> metrics = new ArrayList<>();
    for (Map<String, Object> alarm : alarms.values()) {
      Object name = path(alarm, "Properties", "MetricName");
      metrics.add(name == null ? "" : (String) name);
      assertEquals(List.of(topic), path(alarm, "Properties", "AlarmActions"));
      assertEquals(List.of(topic), path(alarm, "Properties", "OKActions"));
    }
    metrics.sort(null);
    assertEquals(List.of("", "", "ArchiveLag"), metrics);
    assertTrue(Token.isUnresolved(exporter.getFailureAlarm().getAlarmArn()));
    assertTrue(Token.isUnresolved(exporter.getFreshnessAlarm().getAlarmArn()));
    assertTrue(Token.isUnresolved(exporter.getCoverageAlarm().getAlarmArn()));
  }

  @Test
  void athenaTableOverTheExportsWithAnHourPartition() {
    App app = new App();
    Stack stack = new Stack(app, "Query", StackProps.builder().env(ENV).build());
    CloudWatchLogsS3Exporter construct = CloudWatchLogsS3Exporter.Builder.create(stack, "Exporter")
        .exportPeriod(ExportPeriod.HOURLY)
        .destination(ExportDestination.newBucket(NewBucketOptions.builder().keyPrefix("archive/logs").build()))
        .build();
    ExportedLogsTableSource source = ExportedLogsTableSource.fromExporter(construct);
    ExportedLogsTable table = ExportedLogsTable.Builder.create(stack, "Logs")
        .source(source)
        .tableName("app_logs")
        .workGroup(true)
        .build();
    assertEquals(List.of("app_logs", "app_logs_lines"), List.of(table.getTableName(), table.getLinesTableName()));
    assertNotNull(table.getWorkGroup());
    Map<String, Object> inputs = new HashMap<>();
    for (Map<String, Object> resource : resources(Template.fromStack(stack), "AWS::Glue::Table").values()) {
      Object input = path(resource, "Properties", "TableInput");
      inputs.put((String) path(input, "Name"), input);
    }
    assertEquals("VIRTUAL_VIEW", path(inputs.get("app_logs"), "TableType"));
    Object lines = inputs.get("app_logs_lines");
    List<Object> partitions = list(path(lines, "PartitionKeys")).stream().map(k -> path(k, "Name")).collect(Collectors.toList());
    assertEquals(List.of("log_group", "day", "hour"), partitions);
    String location = (String) joined(path(lines, "Parameters", "storage.location.template"));
    assertTrue(location.endsWith("/archive/logs/${log_group}/${day}/${hour}/"), location);

    RuntimeException error = assertThrows(RuntimeException.class,
        () -> ExportedLogsTable.Builder.create(stack, "Bad").source(source).tableName("Bad-Name").build());
    assertTrue(error.getMessage().contains("tableName must be lowercase letters"), error.getMessage());
  }

  @Test
  void badPropsFailAtSynthTimeWithTheLibraryMessage() {
    RuntimeException error = assertThrows(RuntimeException.class, () -> synth(b -> b.maxAttempts(0)));
    assertTrue(error.getMessage().contains("maxAttempts must be an integer from 1 to 10"), error.getMessage());
  }
}
