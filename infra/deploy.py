"""``make deploy`` / ``make destroy`` / ``make outputs``: the whole stack, in order, with boto3.

``plan(config)`` is the list of stacks, in the order they are created (the reverse is the
order they are deleted), each with its template and its parameters; a parameter is a
value, another stack's ``Output`` or a ``Secret``, resolved only when the plan runs.
``Deployer`` runs a plan through CloudFormation change sets:

1. ``artifacts``: the bucket the Lambda zips and function templates are uploaded to;
2. ``apigateway``: API Gateway's account-wide logging role (shared, never deleted);
3. ``storage``: ``infra/storage.json`` (KMS key, bucket, table; retained);
4. ``public`` and ``officer``: ``build/sam/<app>/sam.json`` from ``make package``, their
   ``deployment.zip`` uploaded and ``CodeUri`` pointed at it, the storage outputs and the
   secrets as parameters (SAM: ``CAPABILITY_AUTO_EXPAND``; roles: ``CAPABILITY_IAM``);
5. ``site``: ``infra/site.json`` (``site-cn.json`` in ``aws-cn``) with both APIs' ids;

then the built site is uploaded (each object's ``Cache-Control`` from
``http_policy``; in China each ``x/index.html`` also as ``x/``, CloudFront Functions being
unavailable there), CloudFront's cache is invalidated and ``build/deploy/<stage>/outputs.json``
is written: the site's URL and API base and every function's settings (no secrets).

``destroy`` deletes the stacks in reverse order, emptying the buckets it deletes; the
storage stack and its retained key, bucket and table stay unless ``destroy_data`` is set,
and the account-wide API Gateway stack always stays.

Secrets (``ReceiptKey``, ``TagKey``, ``LogKey``, ``OriginSecret``: 32 bytes, base64) come from
``JUBAO_RECEIPT_KEY``/``JUBAO_TAG_KEY``/``JUBAO_LOG_KEY``/``JUBAO_ORIGIN_SECRET`` or
``build/deploy/<stage>/secrets.json`` (``python -m infra.deploy secrets`` makes one, mode 0600,
or adds the keys an older one lacks); on an update a secret not given keeps its previous
value. ``OriginSecret`` goes to the public, officer and site stacks: CloudFront sends it to
the APIs, which refuse requests without it. They are NoEcho parameters: never in an output or a log.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import mimetypes
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chalicelib.web import http_policy

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"
APIGATEWAY_STACK = "jubao-apigateway-account"
SECRET_VARIABLES = {
    "ReceiptKey": "JUBAO_RECEIPT_KEY",
    "TagKey": "JUBAO_TAG_KEY",
    "LogKey": "JUBAO_LOG_KEY",
    # CloudFront sends it to both APIs, which refuse requests without it (web/origin.py)
    "OriginSecret": "JUBAO_ORIGIN_SECRET",
}
# roles without names (CloudFormation names them), SAM's transform
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


class DeployError(Exception):
    """A step that cannot go on; the message says which and why (never a secret)."""


@dataclass(frozen=True)
class Output:
    """The output ``key`` of the plan's stack ``step``."""

    step: str
    key: str


@dataclass(frozen=True)
class Secret:
    """A NoEcho parameter's value, from the environment or the secrets file."""

    name: str


Parameter = str | Output | Secret


@dataclass(frozen=True)
class Step:
    """One stack of the plan."""

    name: str  # artifacts | apigateway | storage | public | officer | site
    stack_name: str
    template: Path
    parameters: Mapping[str, Parameter]
    sam: bool = False  # a packaged Chalice app: zip uploaded, CodeUri rewritten
    retained: bool = False  # destroy keeps it unless destroy_data
    shared: bool = False  # one per account and region: destroy never deletes it


@dataclass(frozen=True)
class Config:
    stage: str
    region: str
    site_origin: str = ""  # https://host of the site; default: the CloudFront name
    domain: str = ""
    certificate: str = ""  # ACM ARN (us-east-1), or in China the IAM server certificate id
    alarm_topic: str = ""
    sam_dir: Path = ROOT / "build" / "sam"
    site_dir: Path = ROOT / "build" / "site"
    out_dir: Path = ROOT / "build" / "deploy"

    @property
    def partition(self) -> str:
        return "aws-cn" if self.region.startswith("cn-") else "aws"

    @property
    def china(self) -> bool:
        return self.partition == "aws-cn"

    @property
    def stage_dir(self) -> Path:
        return self.out_dir / self.stage

    def stack(self, name: str) -> str:
        return f"jubao-{self.stage}-{name}"


def plan(config: Config) -> list[Step]:
    """The stacks of ``config``'s stage, in creation order."""
    storage: dict[str, Parameter] = {
        "TableName": Output("storage", "TableName"),
        "BucketName": Output("storage", "BucketName"),
        "KeyArn": Output("storage", "KeyArn"),
    }
    common: dict[str, Parameter] = {
        "Stage": config.stage,
        **storage,
        "AlarmTopicArn": config.alarm_topic,
    }
    site: dict[str, Parameter] = {
        "Stage": config.stage,
        "PublicApiId": Output("public", "ApiId"),
        "OfficerApiId": Output("officer", "ApiId"),
        "DomainName": config.domain,
        "CertificateId" if config.china else "CertificateArn": config.certificate,
        "OriginSecret": Secret("OriginSecret"),
    }
    origin = config.site_origin or (f"https://{config.domain}" if config.domain else "")
    return [
        Step(
            "artifacts",
            config.stack("artifacts"),
            INFRA / "artifacts.json",
            {"Stage": config.stage},
        ),
        Step("apigateway", APIGATEWAY_STACK, INFRA / "apigateway-account.json", {}, shared=True),
        Step(
            "storage",
            config.stack("storage"),
            INFRA / "storage.json",
            {"Stage": config.stage, **({"SiteOrigin": origin} if origin else {})},
            retained=True,
        ),
        Step(
            "public",
            config.stack("public"),
            config.sam_dir / "public" / "sam.json",
            {
                **common,
                "ReceiptKey": Secret("ReceiptKey"),
                "TagKey": Secret("TagKey"),
                "OriginSecret": Secret("OriginSecret"),
            },
            sam=True,
        ),
        Step(
            "officer",
            config.stack("officer"),
            config.sam_dir / "officer" / "sam.json",
            {**common, "LogKey": Secret("LogKey"), "OriginSecret": Secret("OriginSecret")},
            sam=True,
        ),
        Step(
            "site",
            config.stack("site"),
            INFRA / ("site-cn.json" if config.china else "site.json"),
            site,
        ),
    ]


def new_secrets() -> dict[str, str]:
    """Fresh 32-byte keys, base64 (the format ``Settings`` reads)."""
    return {name: base64.b64encode(secrets.token_bytes(32)).decode() for name in SECRET_VARIABLES}


def write_secrets(path: Path) -> int:
    """``secrets``: a new secrets file (mode 0600), or the keys an older file lacks added
    to it (a stage deployed before ``OriginSecret`` existed); a key once made is never
    replaced. 1 if there was nothing to add."""
    existing: dict[str, str] = {}
    if path.exists():
        existing = json.loads(path.read_text(encoding="utf-8"))
    missing = {k: v for k, v in new_secrets().items() if k not in existing}
    if not missing:
        print(f"{path} exists; keep it", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({**existing, **missing}, handle, indent=2)
    fresh.replace(path)
    print(
        f"{path}: new keys {', '.join(sorted(missing))}. Keep a copy apart from the data "
        "(without ReceiptKey no receipt verifies).",
        file=sys.stderr,
    )
    return 0


def load_secrets(config: Config, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The secrets given for this stage: the secrets file, overridden by the environment."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    path = config.stage_dir / "secrets.json"
    if path.exists():
        found.update(json.loads(path.read_text(encoding="utf-8")))
    for name, variable in SECRET_VARIABLES.items():
        if env.get(variable):
            found[name] = env[variable]
    for name, value in found.items():
        try:
            ok = len(base64.b64decode(value, validate=True)) == 32
        except ValueError:
            ok = False
        if not ok:
            raise DeployError(f"secret {name} is not 32 bytes in base64")
    return found


def cache_control(key: str, content_type: str) -> str:
    """The object's Cache-Control: the header policy's, for the path it is served at."""
    return http_policy.headers_for(http_policy.kind_for("/" + key, content_type))["Cache-Control"]


def site_objects(site_dir: Path, china: bool) -> Iterator[tuple[str, Path, str]]:
    """(key, file, content type) of every file of the built site; in China each
    ``x/index.html`` also as ``x/`` (S3 has no index documents behind CloudFront)."""
    for path in sorted(p for p in site_dir.rglob("*") if p.is_file()):
        key = path.relative_to(site_dir).as_posix()
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in (
            "application/javascript",
            "application/json",
        ):
            content_type += "; charset=utf-8"
        yield key, path, content_type
        if china and key.endswith("index.html") and key != "index.html":
            yield key.removesuffix("index.html"), path, content_type


def rewrite_code_uris(template: dict[str, Any], bucket: str, key: str) -> dict[str, Any]:
    """Every packaged function's ``CodeUri`` pointed at the uploaded zip."""
    changed: dict[str, Any] = json.loads(json.dumps(template))
    for resource in changed["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": key}
    return changed


@dataclass
class Deployer:
    """Runs a plan against one account and region (``session``: a boto3 session)."""

    config: Config
    session: Any
    poll_seconds: float = 5.0
    timeout_seconds: float = 3600.0
    say: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr))

    def __post_init__(self) -> None:
        self.cfn = self.session.client("cloudformation", region_name=self.config.region)
        self.s3 = self.session.client("s3", region_name=self.config.region)
        self._outputs: dict[str, dict[str, str]] = {}

    # -- reading ------------------------------------------------------------------------

    def status(self, stack_name: str) -> str | None:
        """The stack's status, or None if there is none."""
        try:
            [stack] = self.cfn.describe_stacks(StackName=stack_name)["Stacks"]
        except self.cfn.exceptions.ClientError as exc:
            if "does not exist" in str(exc):
                return None
            raise
        status = str(stack["StackStatus"])
        return None if status == "DELETE_COMPLETE" else status

    def outputs(self, step: Step) -> dict[str, str]:
        if step.name not in self._outputs:
            [stack] = self.cfn.describe_stacks(StackName=step.stack_name)["Stacks"]
            self._outputs[step.name] = {
                o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])
            }
        return self._outputs[step.name]

    def resolve(
        self, step: Step, steps: Sequence[Step], given: Mapping[str, str], exists: bool
    ) -> list[dict[str, Any]]:
        """CloudFormation's ``Parameters`` of ``step``: outputs read, secrets filled in
        (or kept from the previous deployment)."""
        by_name = {s.name: s for s in steps}
        resolved: list[dict[str, Any]] = []
        for key, value in step.parameters.items():
            if isinstance(value, Output):
                found = self.outputs(by_name[value.step]).get(value.key)
                if found is None:
                    raise DeployError(f"{step.name}: stack {value.step} has no output {value.key}")
                resolved.append({"ParameterKey": key, "ParameterValue": found})
            elif isinstance(value, Secret):
                if value.name in given:
                    resolved.append({"ParameterKey": key, "ParameterValue": given[value.name]})
                elif exists:
                    resolved.append({"ParameterKey": key, "UsePreviousValue": True})
                else:
                    raise DeployError(
                        f"{step.name}: secret {value.name} missing on first deployment "
                        f"(set {SECRET_VARIABLES[value.name]} or run "
                        "`python -m infra.deploy secrets`)"
                    )
            else:
                resolved.append({"ParameterKey": key, "ParameterValue": value})
        return resolved

    # -- deploying ----------------------------------------------------------------------

    def deploy(
        self, only: Sequence[str] | None = None, given: Mapping[str, str] | None = None
    ) -> None:
        if self.config.china and not self.config.domain and (only is None or "site" in only):
            raise DeployError(
                "aws-cn: CloudFront in China needs an ICP-filed domain (--domain) "
                "and its IAM certificate id (--certificate)"
            )
        steps = plan(self.config)
        secrets_given = dict(given) if given is not None else load_secrets(self.config)
        if self._origin_unknown(steps) and self.status(self.config.stack("site")) is not None:
            steps = self._with_site_origin(steps)
        for step in steps:
            if only is not None and step.name not in only:
                continue
            self.deploy_step(step, steps, secrets_given)
        if only is None or "site" in only:
            self.upload_site(steps)
            if self._origin_unknown(steps):
                # no domain, first deployment: the browsers' origin is CloudFront's own
                # name, known only now; the bucket's CORS rule gets it
                steps = self._with_site_origin(steps)
                storage = next(s for s in steps if s.name == "storage")
                self.deploy_step(storage, steps, secrets_given)
        self.write_outputs(steps)

    @staticmethod
    def _origin_unknown(steps: Sequence[Step]) -> bool:
        return "SiteOrigin" not in next(s for s in steps if s.name == "storage").parameters

    def _with_site_origin(self, steps: Sequence[Step]) -> list[Step]:
        """The plan with the storage stack's ``SiteOrigin`` = the site stack's ``SiteUrl``."""
        origin = self.outputs(next(s for s in steps if s.name == "site"))["SiteUrl"]
        return [
            replace(s, parameters={**s.parameters, "SiteOrigin": origin})
            if s.name == "storage"
            else s
            for s in steps
        ]

    def deploy_step(self, step: Step, steps: Sequence[Step], given: Mapping[str, str]) -> None:
        if not step.template.exists():
            raise DeployError(f"{step.name}: {step.template} is missing (run `make package`)")
        exists = self.status(step.stack_name) is not None
        parameters = self.resolve(step, steps, given, exists)
        source = self.template_source(step, steps)
        self.apply(step.stack_name, source, parameters, exists)
        self._outputs.pop(step.name, None)

    def template_source(self, step: Step, steps: Sequence[Step]) -> dict[str, str]:
        """``TemplateBody``, or for a packaged app ``TemplateURL`` of the uploaded template
        (its zip uploaded first, both under their content hash)."""
        if not step.sam:
            return {"TemplateBody": step.template.read_text(encoding="utf-8")}
        bucket = self.outputs(next(s for s in steps if s.name == "artifacts"))["ArtifactBucketName"]
        archive = step.template.with_name("deployment.zip")
        data = archive.read_bytes()
        zip_key = f"{step.name}/{hashlib.sha256(data).hexdigest()}.zip"
        self.s3.put_object(Bucket=bucket, Key=zip_key, Body=data)
        template = rewrite_code_uris(
            json.loads(step.template.read_text(encoding="utf-8")), bucket, zip_key
        )
        body = json.dumps(template).encode()
        template_key = f"{step.name}/{hashlib.sha256(body).hexdigest()}.json"
        self.s3.put_object(
            Bucket=bucket, Key=template_key, Body=body, ContentType="application/json"
        )
        endpoint = self.s3.meta.endpoint_url.rstrip("/")
        return {"TemplateURL": f"{endpoint}/{bucket}/{template_key}"}

    def apply(
        self,
        stack_name: str,
        source: Mapping[str, str],
        parameters: list[dict[str, Any]],
        exists: bool,
    ) -> None:
        """Create or update one stack and wait for it; nothing to change is fine.

        ``create_stack``/``update_stack`` rather than change sets: the same calls with
        ``CAPABILITY_AUTO_EXPAND`` expand SAM, and moto (the tests) fills in a stack's
        outputs only on these.
        """
        self.say(f"{stack_name}: {'update' if exists else 'create'}")
        arguments = {
            "StackName": stack_name,
            "Parameters": parameters,
            "Capabilities": CAPABILITIES,
            **source,
        }
        if exists:
            try:
                self.cfn.update_stack(**arguments)
            except self.cfn.exceptions.ClientError as exc:
                if "No updates are to be performed" in str(exc):
                    self.say(f"{stack_name}: unchanged")
                    return
                raise
        else:
            self.cfn.create_stack(**arguments, EnableTerminationProtection=False)
        stack = self._wait(
            lambda: self.cfn.describe_stacks(StackName=stack_name)["Stacks"][0],
            "StackStatus",
            {"CREATE_COMPLETE", "UPDATE_COMPLETE"},
            {
                "CREATE_FAILED",
                "ROLLBACK_COMPLETE",
                "ROLLBACK_FAILED",
                "UPDATE_ROLLBACK_COMPLETE",
                "UPDATE_ROLLBACK_FAILED",
            },
        )
        if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise DeployError(f"{stack_name}: {stack['StackStatus']} (see the stack's events)")

    def _wait(
        self, read: Callable[[], Any], field_name: str, done: set[str], failed: set[str]
    ) -> Any:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            current = read()
            if current[field_name] in done | failed:
                return current
            if time.monotonic() > deadline:
                raise DeployError(f"timed out waiting: {current[field_name]}")
            time.sleep(self.poll_seconds)

    # -- the site -----------------------------------------------------------------------

    def upload_site(self, steps: Sequence[Step]) -> int:
        """The built site into the site bucket (stale objects removed), then invalidated."""
        site = self.outputs(next(s for s in steps if s.name == "site"))
        bucket = site["SiteBucketName"]
        if not (self.config.site_dir / "index.html").exists():
            raise DeployError(f"{self.config.site_dir} holds no built site (run `make site`)")
        keys = set()
        for key, path, content_type in site_objects(self.config.site_dir, self.config.china):
            self.s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=path.read_bytes(),
                ContentType=content_type,
                CacheControl=cache_control(key, content_type),
            )
            keys.add(key)
        stale = [k for k in self._keys(bucket) if k not in keys]
        for first in range(0, len(stale), 1000):
            self.s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[first : first + 1000]]}
            )
        cloudfront = self.session.client("cloudfront", region_name=self.config.region)
        cloudfront.create_invalidation(
            DistributionId=site["DistributionId"],
            InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": ["/*"]},
                "CallerReference": str(time.time()),
            },
        )
        self.say(f"site: {len(keys)} objects")
        return len(keys)

    def _keys(self, bucket: str) -> Iterator[str]:
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                yield item["Key"]

    # -- outputs ------------------------------------------------------------------------

    def settings(self, steps: Sequence[Step]) -> dict[str, Any]:
        """What was deployed: the site's URL and API base, every function's settings."""
        by_name = {s.name: s for s in steps}
        found: dict[str, Any] = {
            "stage": self.config.stage,
            "region": self.config.region,
            "partition": self.config.partition,
            "stacks": {s.name: s.stack_name for s in steps},
        }
        if self.status(by_name["storage"].stack_name) is not None:
            storage = self.outputs(by_name["storage"])
            environment = {
                "JUBAO_STORE": "aws",
                "JUBAO_TABLE": storage["TableName"],
                "JUBAO_BUCKET": storage["BucketName"],
                "JUBAO_KMS_KEY_ID": storage["KeyArn"],
                "AWS_DEFAULT_REGION": self.config.region,
            }
            found["functions"] = {
                app: {
                    "stage": self.config.stage,
                    "environment": environment,
                    "secrets": sorted(
                        k for k, v in by_name[app].parameters.items() if isinstance(v, Secret)
                    ),
                }
                for app in ("public", "officer")
            }
        if self.status(by_name["site"].stack_name) is not None:
            site = self.outputs(by_name["site"])
            found["site"] = {
                "url": site["SiteUrl"],
                "api_base": site["SiteUrl"] + "/api",  # the site calls its own origin
                "officer_api": site["SiteUrl"],  # JUBAO_API of `jubao officer`
                "bucket": site["SiteBucketName"],
                "distribution": site["DistributionId"],
            }
        return found

    def write_outputs(self, steps: Sequence[Step]) -> Path:
        path = self.config.stage_dir / "outputs.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.settings(steps), indent=2) + "\n", encoding="utf-8")
        self.say(f"outputs: {path}")
        return path

    # -- destroying ---------------------------------------------------------------------

    def destroy(self, destroy_data: bool = False) -> list[str]:
        """Delete the stage's stacks in reverse order; the names of those deleted."""
        steps = plan(self.config)
        deleted = []
        for step in reversed(steps):
            if step.shared or (step.retained and not destroy_data):
                continue
            if self.status(step.stack_name) is None:
                continue
            retained: dict[str, str] = {}
            if step.name in ("site", "artifacts"):
                outputs = self.outputs(step)
                self.empty_bucket(outputs.get("SiteBucketName") or outputs["ArtifactBucketName"])
            if step.retained:
                retained = self.outputs(step)
            self.say(f"{step.stack_name}: delete")
            self.cfn.delete_stack(StackName=step.stack_name)
            self._wait_deleted(step.stack_name)
            if retained:
                self.delete_retained(retained)
            deleted.append(step.stack_name)
        return deleted

    def _wait_deleted(self, stack_name: str) -> None:
        deadline = time.monotonic() + self.timeout_seconds
        while (status := self.status(stack_name)) is not None:
            if status == "DELETE_FAILED":
                raise DeployError(f"{stack_name}: DELETE_FAILED (see the stack's events)")
            if time.monotonic() > deadline:
                raise DeployError(f"{stack_name}: timed out deleting")
            time.sleep(self.poll_seconds)

    def empty_bucket(self, bucket: str) -> None:
        """Every version and delete marker of every object (the data bucket is versioned)."""
        paginator = self.s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            if doomed:
                self.s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed})

    def delete_retained(self, storage: Mapping[str, str]) -> None:
        """The storage stack's retained resources, for good (``destroy_data`` only): the
        table (deletion protection off first), the bucket, and the key (scheduled: KMS
        keeps it 30 days, during which it can be cancelled)."""
        dynamodb = self.session.client("dynamodb", region_name=self.config.region)
        dynamodb.update_table(TableName=storage["TableName"], DeletionProtectionEnabled=False)
        dynamodb.delete_table(TableName=storage["TableName"])
        self.empty_bucket(storage["BucketName"])
        self.s3.delete_bucket(Bucket=storage["BucketName"])
        kms = self.session.client("kms", region_name=self.config.region)
        # the key id (the ARN's last part) is what every implementation takes
        key_id = storage["KeyArn"].rsplit("/", 1)[1]
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)
        self.say(f"table, bucket deleted; key {key_id} scheduled for deletion in 30 days")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="jubao on AWS: deploy, destroy, outputs")
    parser.add_argument("command", choices=["deploy", "destroy", "outputs", "plan", "secrets"])
    parser.add_argument("--stage", required=True)
    parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    parser.add_argument("--domain", default=os.environ.get("JUBAO_DOMAIN", ""))
    parser.add_argument("--certificate", default=os.environ.get("JUBAO_CERTIFICATE", ""))
    parser.add_argument("--alarm-topic", default=os.environ.get("JUBAO_ALARM_TOPIC", ""))
    parser.add_argument("--site-dir", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "build" / "deploy")
    parser.add_argument("--only", action="append", help="deploy only these steps (repeatable)")
    parser.add_argument(
        "--destroy-data", action="store_true", help="destroy: also the storage stack and its data"
    )
    args = parser.parse_args(argv)
    if not args.region:
        parser.error("--region (or AWS_REGION) is required")
    config = Config(
        stage=args.stage,
        region=args.region,
        domain=args.domain,
        certificate=args.certificate,
        alarm_topic=args.alarm_topic,
        site_dir=args.site_dir,
        out_dir=args.out_dir,
    )
    if args.command == "plan":
        for step in plan(config):
            shown = {k: v if isinstance(v, str) else repr(v) for k, v in step.parameters.items()}
            print(
                json.dumps(
                    {
                        "step": step.name,
                        "stack": step.stack_name,
                        "template": str(step.template),
                        "parameters": shown,
                    }
                )
            )
        return 0
    if args.command == "secrets":
        return write_secrets(config.stage_dir / "secrets.json")
    import boto3

    deployer = Deployer(config, boto3.session.Session())
    try:
        if args.command == "deploy":
            deployer.deploy(only=args.only)
        elif args.command == "destroy":
            deployer.destroy(destroy_data=args.destroy_data)
        else:
            deployer.write_outputs(plan(config))
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
