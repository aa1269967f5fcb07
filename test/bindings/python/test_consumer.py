"""The Python package as a user installs it (wheel from jsii-pacmak, aws-cdk-lib from PyPI):
a CDK app with the construct and several options, synthesized and asserted."""
import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns

from cdk_cloudwatch_logs_s3_exporter import (
    CloudWatchLogsArchiveBucket,
    CloudWatchLogsS3Exporter,
    ExportDestination,
    ExportedLogsTable,
    ExportedLogsTableSource,
    ExportPeriod,
    LogGroupSelection,
)

ENV = cdk.Environment(account="123456789012", region="eu-west-1")


def synth(**props):
    app = cdk.App()
    stack = cdk.Stack(app, "Consumer", env=ENV)
    bucket = s3.Bucket(stack, "Archive", enforce_ssl=True)
    exporter = CloudWatchLogsS3Exporter(
        stack,
        "Exporter",
        destination=ExportDestination.from_bucket(bucket, key_prefix="archive/logs"),
        export_period=ExportPeriod.HOURLY,
        log_groups=LogGroupSelection.prefixes(["/aws/lambda/", "app-"]),
        schedule=scheduler.ScheduleExpression.cron(minute="20", time_zone=cdk.TimeZone.EUROPE_BERLIN),
        time_zone=cdk.TimeZone.EUROPE_BERLIN,
        timeout=cdk.Duration.hours(2),
        max_poll_duration=cdk.Duration.minutes(2),
        alarm_topic=sns.Topic(stack, "Alerts"),
        **props,
    )
    return exporter, assertions.Template.from_stack(stack)


@pytest.fixture(scope="module")
def synthesized():
    return synth()


def joined(value):
    """A synthesized Fn::Join with references replaced by placeholders."""
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(p if isinstance(p, str) else "REF" for p in parts)
    return value


def only(template, resource_type):
    resources = template.find_resources(resource_type)
    assert len(resources) == 1, resources
    return next(iter(resources.values()))["Properties"]


def test_state_machine_loops_export_choice_wait_and_times_out_as_configured(synthesized):
    exporter, template = synthesized
    definition = json.loads(joined(only(template, "AWS::StepFunctions::StateMachine")["DefinitionString"]))
    assert definition["TimeoutSeconds"] == 7200
    assert definition["StartAt"] == "Export"
    states = definition["States"]
    assert states["Export"]["Type"] == "Task"
    assert states["Export"]["Next"] == "WhatNext"
    assert states["WhatNext"]["Type"] == "Choice"
    assert states["Wait"]["Type"] == "Wait"
    assert states["Wait"]["SecondsPath"] == "$.waitSeconds"
    assert states["Wait"]["Next"] == "Export"
    assert exporter.key_prefix == "archive/logs"
    assert cdk.Token.is_unresolved(exporter.state_machine.state_machine_arn)


def test_handler_is_configured_for_hourly_windows_in_the_time_zone(synthesized):
    _, template = synthesized
    definition = json.loads(joined(only(template, "AWS::StepFunctions::StateMachine")["DefinitionString"]))
    # The handler's configuration travels with every turn of the state machine.
    config = definition["States"]["Export"]["Parameters"]["config"]
    assert config["period"] == "PT1H"
    assert config["timeZone"] == "Europe/Berlin"
    assert config["keyPrefix"] == "archive/logs"
    assert [s["prefix"] for s in config["sources"]] == ["/aws/lambda/", "app-"]


def test_schedule_runs_the_state_machine_in_the_time_zone(synthesized):
    _, template = synthesized
    schedule = only(template, "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == "cron(20 * * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedule["State"] == "ENABLED"
    assert schedule["Target"]["Arn"] == {"Ref": template_state_machine_id(template)}


def template_state_machine_id(template):
    return next(iter(template.find_resources("AWS::StepFunctions::StateMachine")))


def test_bucket_policy_lets_cloudwatch_logs_of_this_account_write_under_the_prefix_only(synthesized):
    _, template = synthesized
    statements = only(template, "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    # Statement ids end in a suffix unique to the exporter (several may share a bucket).
    by_sid = {re.sub(r"[0-9A-F]{8}$", "", s.get("Sid") or ""): s for s in statements}
    put = by_sid["CloudWatchLogsPutExports"]
    assert put["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert put["Action"] == "s3:PutObject"
    assert joined(put["Resource"]).endswith("/archive/logs/*")
    assert put["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert by_sid["CloudWatchLogsGetBucketAcl"]["Action"] == "s3:GetBucketAcl"
    # No export can write into the exporters' state, beside the exports: neither CloudWatch Logs
    # itself nor a principal whose permission a service uses.
    for sid in ["CloudWatchLogsNeverWritesState", "NoStateWritesThroughServices"]:
        assert by_sid[sid]["Effect"] == "Deny"
        assert joined(by_sid[sid]["Resource"]).endswith("/_state/*")
    assert by_sid["NoStateWritesThroughServices"]["Condition"] == {"Bool": {"aws:ViaAWSService": "true"}}


def test_failure_freshness_and_coverage_alarms_notify_the_topic(synthesized):
    exporter, template = synthesized
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    topic = {"Ref": next(iter(template.find_resources("AWS::SNS::Topic")))}
    # The run-failure alarm, the freshness alarm and the coverage alarm (both math expressions but
    # the freshness alarm), sent to the topic when they fire and when they are OK again.
    assert sorted(a["Properties"].get("MetricName", "") for a in alarms.values()) == ["", "", "ArchiveLag"]
    assert [a["Properties"]["AlarmActions"] for a in alarms.values()] == [[topic]] * 3
    assert [a["Properties"]["OKActions"] for a in alarms.values()] == [[topic]] * 3
    for alarm in (exporter.failure_alarm, exporter.freshness_alarm, exporter.coverage_alarm):
        assert cdk.Token.is_unresolved(alarm.alarm_arn)


def test_athena_table_over_the_exports_with_an_hour_partition():
    app = cdk.App()
    stack = cdk.Stack(app, "Query", env=ENV)
    exporter = CloudWatchLogsS3Exporter(
        stack, "Exporter", export_period=ExportPeriod.HOURLY, destination=ExportDestination.new_bucket(key_prefix="archive/logs")
    )
    source = ExportedLogsTableSource.from_exporter(exporter)
    table = ExportedLogsTable(stack, "Logs", source=source, table_name="app_logs", work_group=True)
    assert (table.table_name, table.lines_table_name) == ("app_logs", "app_logs_lines")
    assert table.work_group is not None
    tables = assertions.Template.from_stack(stack).find_resources("AWS::Glue::Table")
    inputs = {t["Properties"]["TableInput"]["Name"]: t["Properties"]["TableInput"] for t in tables.values()}
    assert inputs["app_logs"]["TableType"] == "VIRTUAL_VIEW"
    table_input = inputs["app_logs_lines"]
    assert [p["Name"] for p in table_input["PartitionKeys"]] == ["log_group", "day", "hour"]
    assert joined(table_input["Parameters"]["storage.location.template"]).endswith("/archive/logs/${log_group}/${day}/${hour}/")
    with pytest.raises(Exception, match="tableName must be lowercase letters"):
        ExportedLogsTable(stack, "Bad", source=source, table_name="Bad-Name")


def test_archive_of_several_accounts_and_an_exporter_of_another_account_writing_into_it():
    app = cdk.App()
    archive_stack = cdk.Stack(app, "Archive", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    archive = CloudWatchLogsArchiveBucket(
        archive_stack, "Archive", bucket_name="org-log-archive", source_accounts=["222222222222"]
    )
    archive.add_source_account("333333333333")
    assert archive.source_accounts == ["222222222222", "333333333333"]
    assert archive.export_prefix_of("333333333333") == "exported-logs/333333333333/eu-west-1"
    ExportedLogsTable(archive_stack, "Table", source=ExportedLogsTableSource.from_archive(archive))
    partitions = [
        p["Name"]
        for t in assertions.Template.from_stack(archive_stack).find_resources("AWS::Glue::Table").values()
        for p in t["Properties"]["TableInput"].get("PartitionKeys", [])
    ]
    assert partitions == ["account", "region", "log_group", "day"]

    source = cdk.Stack(app, "Source", env=cdk.Environment(account="222222222222", region="eu-west-1"))
    imported = CloudWatchLogsArchiveBucket.from_archive_attributes(
        source, "Archive", bucket_name="org-log-archive", account="111111111111", region="eu-west-1"
    )
    exporter = CloudWatchLogsS3Exporter(source, "Exporter", destination=ExportDestination.from_archive(imported))
    assert exporter.export_prefix == "exported-logs/222222222222/eu-west-1"
    with pytest.raises(Exception, match="a source account must be a 12-digit account id"):
        archive.add_source_account("not-an-account")


def test_bad_props_fail_at_synth_time_with_the_library_message():
    with pytest.raises(Exception, match="maxAttempts must be an integer from 1 to 10"):
        synth(max_attempts=0)
