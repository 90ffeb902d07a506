"""What ``chalice package`` cannot say, merged into the two function stacks' SAM templates.

Chalice writes the functions, their roles (with the hand-written policies of
``policies.py``), the API and its log groups; ``chalice package --merge-template``
deep-merges the fragment built here over that: the stacks' parameters (the storage
stack's outputs, the secrets), fixed function names (so the policies can name their own
log groups without a cycle), the environment, stage throttling and a keys-and-timings
access log, and alarms on errors, throttles and 5xx answers.

One ``App`` per Chalice project: the public one (API + sealer) and the officers' one
(API + hourly housekeeping). Each function's name matches ``policies.FUNCTIONS``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from infra import policies

Template = dict[str, Any]

STAGE_PATTERN = "^[a-z][a-z0-9-]{1,15}$"
LOG_RETENTION_DAYS = 30  # Lambda and access logs: route, status, timing; see architecture.md

# API Gateway's access log: what was asked (the route's template, never the path a client
# typed), the answer, the timing. No $context.identity.sourceIp, no user agent, no body.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "time": "$context.requestTimeEpoch",
        "method": "$context.httpMethod",
        "route": "$context.resourcePath",
        "status": "$context.status",
        "latencyMs": "$context.responseLatency",
        "integrationMs": "$context.integrationLatency",
        "bytes": "$context.responseLength",
        "error": "$context.error.responseType",
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class Function:
    """One Lambda function of a Chalice app."""

    resource: str  # its logical id in Chalice's template
    role: str  # its policy in policies.DOCUMENTS
    log_group: str  # its log group's logical id in Chalice's template
    bucket_event: str = ""  # the EventBridge event (Chalice's name) of an S3 handler


@dataclass(frozen=True)
class App:
    """One Chalice project and the stack it becomes."""

    name: str  # public | officer
    project: str  # the project directory, relative to the repository
    functions: tuple[Function, ...]
    environment: dict[str, Any]
    secrets: dict[str, str]  # parameter -> environment variable (NoEcho parameters)
    throttle_rate: int
    throttle_burst: int
    extra_parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def api_name(self) -> str:
        """The REST API's name (the 5xx alarm's dimension), one per stage."""
        return "jubao-${Stage}" if self.name == "public" else "jubao-officer-${Stage}"


# CloudFront's origin secret (chalicelib/web/origin.py): a NoEcho parameter of both function
# stacks and of the site stack, in the environment of the API functions only (the sealer
# and housekeeping take no HTTP requests)
ORIGIN_SECRET = {"OriginSecret": "JUBAO_ORIGIN_SECRET"}
API_FUNCTION = "APIHandler"

STORAGE_ENVIRONMENT = {
    "JUBAO_TABLE": {"Ref": "TableName"},
    "JUBAO_BUCKET": {"Ref": "BucketName"},
    "JUBAO_KMS_KEY_ID": {"Ref": "KeyArn"},
}

PUBLIC = App(
    name="public",
    project="functions",
    functions=(
        Function("APIHandler", "intake", "ApiHandlerLogGroup"),
        Function("SealUpload", "sealer", "SealUploadLogGroup", bucket_event="SealUploadEvent"),
    ),
    environment=STORAGE_ENVIRONMENT,
    secrets={"ReceiptKey": "JUBAO_RECEIPT_KEY", "TagKey": "JUBAO_TAG_KEY"},
    throttle_rate=50,
    throttle_burst=100,
)

OFFICER = App(
    name="officer",
    project="functions/officer",
    functions=(
        Function("APIHandler", "officer", "ApiHandlerLogGroup"),
        Function("OfficerHousekeeping", "housekeeping", "OfficerHousekeepingLogGroup"),
    ),
    environment=STORAGE_ENVIRONMENT,
    secrets={"LogKey": "JUBAO_LOG_KEY"},
    throttle_rate=10,
    throttle_burst=20,
)

APPS = {app.name: app for app in (PUBLIC, OFFICER)}


def _parameters(app: App) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "Stage": {
            "Type": "String",
            "AllowedPattern": STAGE_PATTERN,
            "Description": "Deployment stage; part of every function's name.",
        },
        "TableName": {"Type": "String", "Description": "Storage stack output TableName."},
        "BucketName": {"Type": "String", "Description": "Storage stack output BucketName."},
        "KeyArn": {"Type": "String", "Description": "Storage stack output KeyArn."},
        "AlarmTopicArn": {
            "Type": "String",
            "Default": "",
            "Description": "SNS topic the alarms notify (empty: alarms without actions).",
        },
    }
    for name, variable in {**app.secrets, **ORIGIN_SECRET}.items():
        parameters[name] = {
            "Type": "String",
            "NoEcho": True,
            "MinLength": 1,
            "Description": f"{variable} (base64); never in a template or an output.",
        }
    return parameters


def _alarm(
    metric: str, namespace: str, dimensions: list[dict[str, Any]], description: str
) -> Template:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": {"Fn::Sub": f"jubao ${{Stage}}: {description}"},
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": {
                "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
            },
        },
    }


# where an office file given at package time lands in the zip (Lambda runs in /var/task)
PACKAGED_OFFICE = "chalicelib/offices/deployed.toml"
LAMBDA_TASK_ROOT = "/var/task"


def merge_template(app: App, *, office_packaged: bool = False) -> Template:
    """The fragment ``chalice package --merge-template`` merges over ``app``'s template.

    ``office_packaged``: the office file was copied into the zip (``PACKAGED_OFFICE``) and
    the functions are pointed at it; otherwise they read the shipped default office.
    """
    resources: dict[str, Any] = {}
    environment = {
        **app.environment,
        **{variable: {"Ref": name} for name, variable in app.secrets.items()},
    }
    if office_packaged:
        environment["JUBAO_OFFICE_CONFIG"] = f"{LAMBDA_TASK_ROOT}/{PACKAGED_OFFICE}"
    for function in app.functions:
        name = policies.FUNCTIONS[function.role]
        variables = dict(environment)
        if function.resource == API_FUNCTION:
            variables.update({variable: {"Ref": p} for p, variable in ORIGIN_SECRET.items()})
        properties: dict[str, Any] = {
            "FunctionName": {"Fn::Sub": name},
            "Environment": {"Variables": variables},
        }
        if function.bucket_event:
            # only this stage's bucket: another stage's uploads are not this sealer's
            properties["Events"] = {
                function.bucket_event: {
                    "Properties": {
                        "Pattern": {"detail": {"bucket": {"name": [{"Ref": "BucketName"}]}}}
                    }
                }
            }
        # the group exists before the function can run: its role may not create groups
        resources[function.resource] = {"DependsOn": [function.log_group], "Properties": properties}
        # the name from policies.FUNCTIONS, not Chalice's ``${ApiHandler}`` (a logical id
        # its template does not have: the function is ``APIHandler``)
        resources[function.log_group] = {
            "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/{name}"}}
        }
        dimensions = [{"Name": "FunctionName", "Value": {"Ref": function.resource}}]
        resources[f"{function.resource}Errors"] = _alarm(
            "Errors", "AWS/Lambda", dimensions, f"{name} raised errors"
        )
        resources[f"{function.resource}Throttles"] = _alarm(
            "Throttles", "AWS/Lambda", dimensions, f"{name} was throttled"
        )
    resources["RestAPI"] = {
        "Properties": {
            # the name in both places API Gateway may take it from (the 5xx alarm's dimension)
            "Name": {"Fn::Sub": app.api_name},
            "DefinitionBody": {"info": {"title": {"Fn::Sub": app.api_name}}},
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": app.throttle_rate,
                    "ThrottlingBurstLimit": app.throttle_burst,
                    "LoggingLevel": "OFF",  # execution logs would hold bodies and headers
                    "DataTraceEnabled": False,
                    "MetricsEnabled": True,
                }
            ],
            "AccessLogSetting": {
                "DestinationArn": {"Fn::GetAtt": ["ApiAccessLog", "Arn"]},
                "Format": ACCESS_LOG_FORMAT,
            },
        }
    }
    resources["ApiAccessLog"] = {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",
        "Properties": {
            "LogGroupName": {"Fn::Sub": f"/jubao/${{Stage}}/{app.name}-api-access"},
            "RetentionInDays": LOG_RETENTION_DAYS,
        },
    }
    resources["Api5xx"] = _alarm(
        "5XXError",
        "AWS/ApiGateway",
        [
            {"Name": "ApiName", "Value": {"Fn::Sub": app.api_name}},
            {"Name": "Stage", "Value": "api"},
        ],
        f"the {app.name} API answered 5xx",
    )
    return {
        "Parameters": _parameters(app),
        "Conditions": {
            "HasAlarmTopic": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
        },
        "Resources": resources,
        "Outputs": {
            "ApiId": {"Value": {"Ref": "RestAPI"}},
            "ApiStage": {"Value": "api"},
        },
    }


def policy_files(app: App, stage: str) -> dict[str, policies.Policy]:
    """``.chalice/policy-{stage}-{role}.json`` of ``app``'s functions (CloudFormation form)."""
    return {
        f"policy-{stage}-{f.role}.json": policies.cloudformation(policies.DOCUMENTS[f.role]())
        for f in app.functions
    }
