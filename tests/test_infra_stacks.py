"""The site stack, the small plain stacks and the deploy script's plan and steps.

The site stack is generated from ``chalicelib/web/http_policy.py`` (its committed JSON
must be what ``infra/site.py`` makes); its response-headers policies, read back into
headers, must be the local server's header sets. The deploy plan's parameters must be
exactly what each template declares, and every output it reads must exist. The plain
stacks go into moto's HTTP server through the deploy script itself (moto cannot expand
SAM: the function stacks' plumbing is checked on the plan and the uploaded template).
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.officer import signatures
from chalicelib.web import http_policy, origin
from chalicelib.web.http_policy import Kind
from infra import deploy, functions, package, site
from tests.conftest import venv_tool
from tests.store.moto_env import REGION, aws_env, moto_server

__all__ = ["aws_env", "moto_server"]  # fixtures used below

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"
PLAIN = ["storage.json", "artifacts.json", "apigateway-account.json", "site.json", "site-cn.json"]


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((INFRA / name).read_text("utf-8"))
    return loaded


def of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


# ---- the site stack --------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(site.PATHS))
def test_committed_site_templates_are_generated(variant: str) -> None:
    assert site.PATHS[variant].read_text("utf-8") == site.rendered(variant), (
        "run `python -m infra.site`"
    )


@pytest.mark.parametrize("kind", list(site.POLICY_RESOURCES))
def test_cloudfront_sends_the_local_servers_headers(kind: Kind) -> None:
    for variant in site.PATHS:
        template = site.template(variant)
        config = template["Resources"][site.POLICY_RESOURCES[kind]]["Properties"][
            "ResponseHeadersPolicyConfig"
        ]
        assert site.headers_of(config) == {
            **http_policy.headers_for(kind),
            "Strict-Transport-Security": http_policy.HSTS,
        }
        overrides = [v["Override"] for v in config["SecurityHeadersConfig"].values()]
        overrides += [i["Override"] for i in config["CustomHeadersConfig"]["Items"]]
        # the site's headers replace whatever S3 sends; the API's own answers keep theirs
        # (form answers have their own CSP) except HSTS, which CloudFront always adds
        if kind is Kind.api:
            assert overrides.count(True) == 1
        else:
            assert all(overrides)


def test_behaviours_classify_paths_as_the_local_server_does() -> None:
    distribution = of_type(site.template(), "AWS::CloudFront::Distribution")[0]
    config = distribution["Properties"]["DistributionConfig"]
    policy_of = {f"Ref:{v}": k for k, v in site.POLICY_RESOURCES.items()}
    patterns = []
    for behaviour in config["CacheBehaviors"]:
        pattern = behaviour["PathPattern"]
        patterns.append(pattern)
        example = pattern.replace("*", "x/index.html" if pattern.endswith("/*") else "x")
        kind = policy_of[f"Ref:{behaviour['ResponseHeadersPolicyId']['Ref']}"]
        if pattern.startswith("/api"):
            assert kind is Kind.api and http_policy.kind_for(example) is Kind.api
            assert behaviour["ViewerProtocolPolicy"] == "https-only"
        elif kind is Kind.private_page:
            assert http_policy.kind_for(example.removesuffix("x/index.html")) is kind
        else:
            assert http_policy.kind_for(pattern.replace("*", "app.css")) is kind
    # the officers' prefix must be matched before the public API's
    assert patterns.index(site.OFFICER_PATHS) < patterns.index(site.API_PATHS)
    default = config["DefaultCacheBehavior"]
    assert policy_of[f"Ref:{default['ResponseHeadersPolicyId']['Ref']}"] is Kind.page
    assert http_policy.kind_for("/rules/") is Kind.page


@pytest.mark.parametrize("variant", sorted(site.PATHS))
def test_api_on_the_sites_origin_and_the_bucket_private(variant: str) -> None:
    template = site.template(variant)
    config = of_type(template, "AWS::CloudFront::Distribution")[0]["Properties"][
        "DistributionConfig"
    ]
    origins = {o["Id"]: o for o in config["Origins"]}
    for api, parameter in (("public-api", "PublicApiId"), ("officer-api", "OfficerApiId")):
        origin = origins[api]
        assert origin["DomainName"] == {
            "Fn::Sub": f"${{{parameter}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
        }
        assert origin["OriginPath"] == "/api"  # Chalice's stage; routes start with /api too
        assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    for api in site.FORWARDING.values():
        forwarding = template["Resources"][api]["Properties"]["OriginRequestPolicyConfig"]
        # never Host (API Gateway needs its own), never cookies; every query parameter
        assert "Host" not in forwarding["HeadersConfig"]["Headers"]
        assert forwarding["CookiesConfig"] == {"CookieBehavior": "none"}
        assert forwarding["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    no_cache = template["Resources"]["ApiNoCache"]["Properties"]["CachePolicyConfig"]
    assert no_cache["DefaultTTL"] == no_cache["MaxTTL"] == 0
    # no CloudFront log (it would carry viewer addresses), no S3 access log
    assert "Logging" not in config
    [bucket] = of_type(template, "AWS::S3::Bucket")
    assert "LoggingConfiguration" not in bucket["Properties"]
    assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values())
    [policy] = of_type(template, "AWS::S3::BucketPolicy")
    [allow] = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]
    assert allow["Action"] == "s3:GetObject"
    if variant == "china":
        assert of_type(template, "AWS::CloudFront::CloudFrontOriginAccessIdentity")
        assert "CanonicalUser" in allow["Principal"]
        assert "IamCertificateId" in config["ViewerCertificate"]
        assert not of_type(template, "AWS::CloudFront::Function")
    else:
        assert of_type(template, "AWS::CloudFront::OriginAccessControl")
        source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
        assert source.startswith("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:")


def _distribution(template: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = of_type(template, "AWS::CloudFront::Distribution")[0]["Properties"][
        "DistributionConfig"
    ]
    return config


@pytest.mark.parametrize("variant", sorted(site.PATHS))
def test_cloudfront_sends_the_origin_secret_to_both_apis_and_only_to_them(variant: str) -> None:
    """Direct execute-api access is closed by the secret only CloudFront sends: both API
    origins carry it, the site bucket's origin does not, and it is a NoEcho parameter that
    no output names (the committed file, which is what is deployed)."""
    template = load(site.PATHS[variant].name)
    origins = {o["Id"]: o for o in _distribution(template)["Origins"]}
    for api in ("public-api", "officer-api"):
        assert origins[api]["OriginCustomHeaders"] == [
            {"HeaderName": origin.ORIGIN_HEADER, "HeaderValue": {"Ref": "OriginSecret"}}
        ]
    assert "OriginCustomHeaders" not in origins["site"]
    parameter = template["Parameters"]["OriginSecret"]
    assert parameter["NoEcho"] is True and "Default" not in parameter
    assert "OriginSecret" not in json.dumps(template["Outputs"])
    # every behaviour to an origin that checks the secret forwards to that origin only
    for behaviour in _distribution(template)["CacheBehaviors"]:
        if behaviour["PathPattern"].startswith("/api"):
            assert behaviour["TargetOriginId"] in ("public-api", "officer-api")


@pytest.mark.parametrize("variant", sorted(site.PATHS))
def test_the_apis_get_the_headers_they_read_and_the_viewer_address_only_where_filled_in(
    variant: str,
) -> None:
    template = load(site.PATHS[variant].name)
    behaviours = {b["TargetOriginId"]: b for b in _distribution(template)["CacheBehaviors"]}

    def forwarded(origin_id: str) -> list[str]:
        policy = template["Resources"][behaviours[origin_id]["OriginRequestPolicyId"]["Ref"]]
        config = policy["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"]
        assert config["HeaderBehavior"] == "whitelist"
        headers: list[str] = config["Headers"]
        assert len(headers) <= 10  # CloudFront's default quota of headers per policy
        return [h.lower() for h in headers]

    public, officer = forwarded("public-api"), forwarded("officer-api")
    # the core reads these (a header it read but never got would silently be empty)
    read_by_public = set(header_names_read(ROOT / "functions/chalicelib/public"))
    read_by_public |= set(header_names_read(ROOT / "functions/chalicelib/web/http.py"))
    assert read_by_public and read_by_public <= set(public)
    assert {"content-type", *signatures.FIELDS} <= set(officer)
    viewer = origin.VIEWER_ADDRESS_HEADER.lower()
    # the officers' function keeps no address; in China CloudFront's filling it in is not
    # confirmed, and a listed name it does not fill in would carry the viewer's own value
    assert viewer not in officer
    assert (viewer in public) is (variant == "global")
    assert origin.ORIGIN_HEADER.lower() not in public + officer  # CloudFront adds it


def header_names_read(path: Path) -> list[str]:
    """Every ``.header("name")`` the code under ``path`` reads."""
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    found = []
    for file in files:
        found += re.findall(r'\.header\("([a-z0-9-]+)"\)', file.read_text("utf-8"))
    return found


def test_index_documents_in_both_variants(tmp_path: Path) -> None:
    """Global: a CloudFront Function maps /x/ to /x/index.html; China (no CloudFront
    Functions there): the deploy script also uploads each x/index.html as x/."""
    code = site.template()["Resources"]["IndexDocuments"]["Properties"]["FunctionCode"]
    assert "index.html" in code and "request.uri.endsWith('/')" in code
    (tmp_path / "report").mkdir()
    (tmp_path / "index.html").write_text("<html>")
    (tmp_path / "report" / "index.html").write_text("<html>")
    (tmp_path / "report" / "app.js").write_text("x")
    china = {k: t for k, _, t in deploy.site_objects(tmp_path, china=True)}
    assert set(china) == {"index.html", "report/index.html", "report/", "report/app.js"}
    assert china["report/"] == "text/html; charset=utf-8"
    assert {k for k, _, _ in deploy.site_objects(tmp_path, china=False)} == {
        "index.html",
        "report/index.html",
        "report/app.js",
    }
    # objects carry the header policy's Cache-Control for where they are served
    assert deploy.cache_control("report/", "text/html") == http_policy.NO_STORE
    assert deploy.cache_control("index.html", "text/html") == http_policy.REVALIDATE
    assert deploy.cache_control("assets/x.0123abcd.min.js", "text/javascript") == (
        http_policy.IMMUTABLE
    )


def test_the_office_file_given_at_package_time_is_the_functions(tmp_path: Path) -> None:
    office = tmp_path / "my-office.toml"
    office.write_bytes((ROOT / "functions/chalicelib/offices/anhui.toml").read_bytes() + b"\n")
    for app in functions.APPS.values():
        project = package.assemble(app, "prod", tmp_path / app.name, office)
        assert (project / functions.PACKAGED_OFFICE).read_bytes() == office.read_bytes()
        merge = json.loads((project / ".chalice" / "merge.json").read_text("utf-8"))
        for function in app.functions:
            variables = merge["Resources"][function.resource]["Properties"]["Environment"]
            assert variables["Variables"]["JUBAO_OFFICE_CONFIG"] == (
                f"/var/task/{functions.PACKAGED_OFFICE}"
            )
        assert not (project / "jubao").exists() and not (project / "tests").exists()
        assert {p.name for p in (project / ".chalice").iterdir()} == {
            "config.json",
            "merge.json",
            *functions.policy_files(app, "prod"),
        }
        plain = package.assemble(app, "prod", tmp_path / f"{app.name}-sample")
        assert not (plain / functions.PACKAGED_OFFICE).exists()
        assert "JUBAO_OFFICE_CONFIG" not in (plain / ".chalice" / "merge.json").read_text()


# ---- every template: partitions, endpoints, logs --------------------------------------------

# service principals that are the same string in aws and aws-cn (IAM's documentation of
# service principals in China); no endpoint may be literal
SAME_IN_CHINA = {"lambda.amazonaws.com", "apigateway.amazonaws.com", "cloudfront.amazonaws.com"}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)


def all_templates() -> dict[str, dict[str, Any]]:
    templates = {name: load(name) for name in PLAIN}
    for app in functions.APPS.values():
        templates[f"merge-{app.name}"] = functions.merge_template(app)
    return templates


def test_no_partition_region_or_endpoint_written_out() -> None:
    for name, template in all_templates().items():
        for text in strings(template):
            if text.startswith("^"):
                continue  # a parameter's AllowedPattern, not an ARN
            assert "arn:aws" not in text, (name, text)  # arn:${AWS::Partition}: instead
            assert "cn-north" not in text and "us-east-1:" not in text, (name, text)
            if "amazonaws.com" in text:
                assert text in SAME_IN_CHINA, (name, text)  # else ${AWS::URLSuffix}
        # every Fn::Sub that builds an ARN starts from the partition
        for text in strings(template):
            if text.startswith("arn:") and not text.startswith("^"):
                assert text.startswith("arn:${AWS::Partition}:"), (name, text)


def test_no_log_holds_addresses_or_bodies() -> None:
    for name, template in all_templates().items():
        for resource in template["Resources"].values():
            properties = resource.get("Properties", {})
            assert "LoggingConfiguration" not in properties, name  # S3 server access logs
            distribution = properties.get("DistributionConfig", {})
            assert "Logging" not in distribution, name
            for setting in properties.get("MethodSettings", []):
                assert setting["DataTraceEnabled"] is False and setting["LoggingLevel"] == "OFF"
            access = properties.get("AccessLogSetting")
            if access:
                assert "sourceIp" not in access["Format"] and "identity" not in access["Format"]
    assert "sourceIp" not in functions.ACCESS_LOG_FORMAT
    retention = [
        r["Properties"]["RetentionInDays"]
        for t in all_templates().values()
        for r in t["Resources"].values()
        if r.get("Type") == "AWS::Logs::LogGroup"
    ]
    assert retention and all(days == functions.LOG_RETENTION_DAYS for days in retention)


@pytest.mark.slow
def test_plain_templates_pass_cfn_lint() -> None:
    """Each template for the partitions it is meant for (site-cn.json: China only, since
    CloudFront Functions and origin access control do not exist there; site.json: the
    global partition)."""
    lint = venv_tool("cfn-lint")
    runs = [
        (
            ["storage.json", "artifacts.json", "apigateway-account.json"],
            ["cn-north-1", "us-east-1"],
        ),
        (["site.json"], ["us-east-1", "eu-west-1"]),
        (["site-cn.json"], ["cn-north-1", "cn-northwest-1"]),
    ]
    for names, regions in runs:
        result = subprocess.run(
            [lint, *(str(INFRA / n) for n in names), "--regions", *regions],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


# ---- the plan ------------------------------------------------------------------------------


def declared_template(step: deploy.Step) -> dict[str, Any]:
    if step.sam:
        app = functions.APPS[step.name]
        return {
            "Parameters": functions.merge_template(app)["Parameters"],
            **functions.merge_template(app),
        }
    return json.loads(step.template.read_text("utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("region", ["cn-north-1", "eu-west-1"])
def test_plan_order_and_parameter_plumbing(region: str) -> None:
    config = deploy.Config(stage="prod", region=region, domain="jubao.example.gov.cn")
    steps = deploy.plan(config)
    names = [s.name for s in steps]
    assert names == ["artifacts", "apigateway", "storage", "public", "officer", "site"]
    position = {s.name: i for i, s in enumerate(steps)}
    for step in steps:
        template = declared_template(step)
        declared = template.get("Parameters", {})
        required = {k for k, v in declared.items() if "Default" not in v}
        assert required <= set(step.parameters) <= set(declared), step.name
        for value in step.parameters.values():
            if isinstance(value, deploy.Output):
                # an output of an earlier stack, which that stack's template has
                assert position[value.step] < position[step.name]
                source = next(s for s in steps if s.name == value.step)
                assert value.key in declared_template(source)["Outputs"], value
            if isinstance(value, deploy.Secret):
                assert declared[next(k for k, v in step.parameters.items() if v == value)]["NoEcho"]
    site_step = steps[-1]
    china = region.startswith("cn-")
    assert site_step.template.name == ("site-cn.json" if china else "site.json")
    assert ("CertificateId" in site_step.parameters) is china
    storage = steps[position["storage"]]
    assert storage.parameters["SiteOrigin"] == "https://jubao.example.gov.cn"
    assert storage.retained and steps[position["apigateway"]].shared
    assert not any(s.retained or s.shared for s in steps if s.name in ("public", "officer", "site"))


def test_secrets_are_checked_and_never_written_out(tmp_path: Path) -> None:
    config = deploy.Config(stage="t1", region="cn-north-1", out_dir=tmp_path)
    fresh = deploy.new_secrets()
    assert set(fresh) == set(deploy.SECRET_VARIABLES) and len(set(fresh.values())) == 4
    assert deploy.load_secrets(config, {"JUBAO_TAG_KEY": fresh["TagKey"]}) == {
        "TagKey": fresh["TagKey"]
    }
    with pytest.raises(deploy.DeployError, match="TagKey") as refused:
        deploy.load_secrets(config, {"JUBAO_TAG_KEY": "c2hvcnQ="})
    assert "c2hvcnQ=" not in str(refused.value)
    command = ["secrets", "--stage", "t1", "--region", "cn-north-1", "--out-dir", str(tmp_path)]
    assert deploy.main(command) == 0
    written = tmp_path / "t1" / "secrets.json"
    assert written.stat().st_mode & 0o777 == 0o600
    assert set(deploy.load_secrets(config, {})) == set(deploy.SECRET_VARIABLES)
    assert deploy.main(command) == 1  # never overwritten: the keys already deployed stay

    # a stage made before the origin secret existed gets it added, nothing else changed
    older = {k: v for k, v in json.loads(written.read_text("utf-8")).items() if k != "OriginSecret"}
    written.write_text(json.dumps(older), "utf-8")
    assert deploy.main(command) == 0
    now = json.loads(written.read_text("utf-8"))
    assert {k: now[k] for k in older} == older and set(now) == set(deploy.SECRET_VARIABLES)
    assert written.stat().st_mode & 0o777 == 0o600
    assert not list(written.parent.glob("*.new"))


def test_the_origin_secret_reaches_the_api_functions_and_the_site_only_as_noecho() -> None:
    config = deploy.Config(stage="prod", region="eu-west-1")
    steps = {s.name: s for s in deploy.plan(config)}
    for name in ("public", "officer", "site"):
        assert steps[name].parameters["OriginSecret"] == deploy.Secret("OriginSecret"), name
    for name in ("artifacts", "apigateway", "storage"):
        assert "OriginSecret" not in steps[name].parameters, name
    for app in functions.APPS.values():
        merged = functions.merge_template(app)
        assert merged["Parameters"]["OriginSecret"]["NoEcho"] is True
        assert "OriginSecret" not in json.dumps(merged["Outputs"])
        for function in app.functions:
            variables = merged["Resources"][function.resource]["Properties"]["Environment"][
                "Variables"
            ]
            # the API functions check it; the sealer and housekeeping take no HTTP request
            if function.resource == functions.API_FUNCTION:
                assert variables["JUBAO_ORIGIN_SECRET"] == {"Ref": "OriginSecret"}
            else:
                assert "JUBAO_ORIGIN_SECRET" not in variables


# ---- the plain stacks deployed into moto by the deploy script ------------------------------


@pytest.fixture
def deployer(aws_env: str, tmp_path: Path) -> deploy.Deployer:
    sam = tmp_path / "sam"
    for app in functions.APPS.values():
        # a packaged app as `make package` lays it out (the real one is tested in
        # test_lambda_package.py; here only its plumbing matters)
        (sam / app.name).mkdir(parents=True)
        template: dict[str, Any] = {
            "Transform": "AWS::Serverless-2016-10-31",
            "Parameters": functions.merge_template(app)["Parameters"],
            "Resources": {},
        }
        for function in app.functions:
            template["Resources"][function.resource] = {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "./deployment.zip", "Handler": "app.app"},
            }
        (sam / app.name / "sam.json").write_text(json.dumps(template), "utf-8")
        with zipfile.ZipFile(sam / app.name / "deployment.zip", "w") as archive:
            archive.writestr("app.py", f"# {app.name}\n")
    config = deploy.Config(stage="test", region=REGION, sam_dir=sam, out_dir=tmp_path / "out")
    messages: list[str] = []
    made = deploy.Deployer(
        config, boto3.session.Session(), poll_seconds=0.05, timeout_seconds=60, say=messages.append
    )
    _MESSAGES[id(made)] = messages
    return made


_MESSAGES: dict[int, list[str]] = {}


def messages_of(deployer: deploy.Deployer) -> list[str]:
    return _MESSAGES[id(deployer)]


@pytest.mark.aws
@pytest.mark.filterwarnings("ignore::UserWarning")  # moto: resource types it skips
def test_deploy_script_creates_the_plain_stacks_and_writes_outputs(
    deployer: deploy.Deployer,
) -> None:
    steps = deploy.plan(deployer.config)
    deployer.deploy(only=["artifacts", "apigateway", "storage"], given={})
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    for stack in ("jubao-test-artifacts", "jubao-apigateway-account", "jubao-test-storage"):
        [found] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        assert found["StackStatus"] == "CREATE_COMPLETE"
    outputs = json.loads((deployer.config.stage_dir / "outputs.json").read_text("utf-8"))
    storage = deployer.outputs(steps[2])
    assert outputs["functions"]["public"]["environment"] == {
        "JUBAO_STORE": "aws",
        "JUBAO_TABLE": storage["TableName"],
        "JUBAO_BUCKET": storage["BucketName"],
        "JUBAO_KMS_KEY_ID": storage["KeyArn"],
        "AWS_DEFAULT_REGION": REGION,
    }
    assert outputs["functions"]["officer"]["secrets"] == ["LogKey", "OriginSecret"]
    assert storage["KeyArn"].startswith("arn:aws-cn:kms:cn-north-1:")
    assert "site" not in outputs  # not deployed yet

    # the function stacks' parameters, resolved from what was deployed
    public = next(s for s in steps if s.name == "public")
    keys = deploy.new_secrets()
    resolved = {p["ParameterKey"]: p for p in deployer.resolve(public, steps, keys, exists=False)}
    assert resolved["TableName"]["ParameterValue"] == storage["TableName"]
    assert resolved["KeyArn"]["ParameterValue"] == storage["KeyArn"]
    assert resolved["ReceiptKey"]["ParameterValue"] == keys["ReceiptKey"]
    with pytest.raises(deploy.DeployError, match="ReceiptKey"):
        deployer.resolve(public, steps, {}, exists=False)
    kept = {p["ParameterKey"]: p for p in deployer.resolve(public, steps, {}, exists=True)}
    assert kept["ReceiptKey"] == {"ParameterKey": "ReceiptKey", "UsePreviousValue": True}
    assert resolved["OriginSecret"]["ParameterValue"] == keys["OriginSecret"]
    deployer.write_outputs(steps)
    written = (deployer.config.stage_dir / "outputs.json").read_text()
    assert keys["ReceiptKey"] not in written and keys["OriginSecret"] not in written

    # the zip and the template go to the artifacts bucket, CodeUri pointing at the zip
    source = deployer.template_source(public, steps)
    bucket = deployer.outputs(steps[0])["ArtifactBucketName"]
    s3 = boto3.client("s3", region_name=REGION)
    key = source["TemplateURL"].split(f"/{bucket}/", 1)[1]
    uploaded = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    uris = [
        r["Properties"]["CodeUri"]
        for r in uploaded["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    ]
    assert uris and all(u["Bucket"] == bucket for u in uris)
    archive = s3.get_object(Bucket=bucket, Key=uris[0]["Key"])["Body"].read()
    assert archive == (deployer.config.sam_dir / "public" / "deployment.zip").read_bytes()

    # deploying again changes nothing and is fine
    deployer.deploy(only=["artifacts"], given={})


@pytest.mark.aws
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_destroy_keeps_data_unless_asked(deployer: deploy.Deployer) -> None:
    steps = deploy.plan(deployer.config)
    deployer.deploy(only=["artifacts", "apigateway", "storage"], given={})
    storage = dict(deployer.outputs(steps[2]))
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=storage["BucketName"], Key="sealed/x", Body=b"sealed")
    artifacts = deployer.outputs(steps[0])["ArtifactBucketName"]
    s3.put_object(Bucket=artifacts, Key="public/x.zip", Body=b"zip")

    assert deployer.destroy() == ["jubao-test-artifacts"]
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert storage["BucketName"] in buckets and artifacts not in buckets
    assert deployer.status("jubao-test-storage") == "CREATE_COMPLETE"
    assert deployer.status(deploy.APIGATEWAY_STACK) == "CREATE_COMPLETE"

    deployer._outputs.clear()
    assert deployer.destroy(destroy_data=True) == ["jubao-test-storage"]
    assert storage["BucketName"] not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    assert storage["TableName"] not in dynamodb.list_tables()["TableNames"]
    # (moto's describe_key fails on keys its CloudFormation made: the call's answer it is)
    key_id = storage["KeyArn"].rsplit("/", 1)[1]
    assert f"key {key_id} scheduled for deletion in 30 days" in " ".join(messages_of(deployer))
    assert deployer.status(deploy.APIGATEWAY_STACK) == "CREATE_COMPLETE"  # shared: kept


@pytest.mark.aws
def test_site_upload_sets_cache_control_removes_stale_objects_and_invalidates(
    deployer: deploy.Deployer, tmp_path: Path
) -> None:
    """The upload step on moto's S3 and CloudFront (the site stack itself needs
    CloudFront resources moto's CloudFormation does not make: its outputs are given)."""
    built = tmp_path / "built"
    (built / "report").mkdir(parents=True)
    (built / "assets").mkdir()
    (built / "index.html").write_text("<html>首页</html>", "utf-8")
    (built / "report" / "index.html").write_text("<html>举报</html>", "utf-8")
    (built / "assets" / "app.0123abcd.min.js").write_text("x", "utf-8")
    s3 = boto3.client("s3", region_name=REGION)
    bucket = "jubao-test-site"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="old/page.html", Body=b"stale")
    cloudfront = boto3.client("cloudfront", region_name=REGION)
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "t",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": f"{bucket}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            },
        }
    )["Distribution"]["Id"]
    china = replace_site_dir(deployer, built)
    china._outputs["site"] = {"SiteBucketName": bucket, "DistributionId": distribution}
    assert china.upload_site(deploy.plan(china.config)) == 4  # report/ as well, in China
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {"index.html", "report/index.html", "report/", "assets/app.0123abcd.min.js"}
    head = s3.head_object(Bucket=bucket, Key="report/")
    assert head["CacheControl"] == http_policy.NO_STORE
    assert head["ContentType"] == "text/html; charset=utf-8"
    asset = s3.head_object(Bucket=bucket, Key="assets/app.0123abcd.min.js")
    assert asset["CacheControl"] == http_policy.IMMUTABLE
    assert (
        s3.get_object(Bucket=bucket, Key="report/")["Body"].read().decode() == "<html>举报</html>"
    )
    invalidations = cloudfront.list_invalidations(DistributionId=distribution)
    assert invalidations["InvalidationList"]["Quantity"] == 1


def replace_site_dir(deployer: deploy.Deployer, site_dir: Path) -> deploy.Deployer:
    made = deploy.Deployer(
        replace(deployer.config, site_dir=site_dir),
        deployer.session,
        poll_seconds=0.05,
        say=messages_of(deployer).append,
    )
    return made
