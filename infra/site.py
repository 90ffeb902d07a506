"""The site stack: the built site in a private bucket behind CloudFront, the APIs on its origin.

``python -m infra.site`` writes ``infra/site.json``; a test checks that the committed file
is what this module generates, so the headers can only change in one place:
``chalicelib/web/http_policy.py``. Every response-headers policy is that module's header
set of one ``Kind``, translated into CloudFront's vocabulary (its security headers where
CloudFront has a field, custom headers otherwise).

* The bucket is private (all public access blocked, ACLs off); CloudFront reads it through
  an origin access control (SigV4), and the bucket policy lets only this distribution in.
* ``/api/officer/*`` goes to the officers' API, ``/api/*`` to the public API (API Gateway,
  stage ``api``), uncached, with only the headers each reads (and, outside China, the
  viewer's address for the public API's rate limits); so the site, the form posts and the
  officers' client share one origin and no CORS is needed. CloudFront adds the stage's
  origin secret (``X-Jubao-Origin``, a NoEcho parameter) to every request to either API,
  which refuse requests without it (``chalicelib/web/origin.py``).
* No CloudFront access log (``Logging`` is absent): CloudFront's standard and real-time
  logs carry the viewer's address, and this stack writes neither. No S3 server access log.
* Paths ending in ``/`` are rewritten to ``/index.html`` by a CloudFront Function (S3's REST
  endpoint has no index documents).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.officer import signatures
from chalicelib.web import http_policy, origin
from chalicelib.web.http_policy import Kind

PATHS = {
    "global": Path(__file__).with_name("site.json"),
    "china": Path(__file__).with_name("site-cn.json"),
}
API_STAGE = "api"
OFFICER_PATHS = "/api/officer/*"
API_PATHS = "/api/*"
# (path pattern, kind): an example path of each is classified the same by kind_for (tested)
SITE_BEHAVIOURS = [
    *(
        (f"{lang}/{page}*", Kind.private_page)
        for lang in ("", "/en")
        for page in http_policy.PRIVATE_PAGES
    ),
    ("/assets/*", Kind.asset),
    ("/en/assets/*", Kind.asset),
]
# what each API reads of a request's headers, and nothing else goes to it (a test checks
# the core reads no other): no cookies, no user agent, no viewer address for the officers
PUBLIC_API_HEADERS = ["Content-Type", "Idempotency-Key", "Referer"]
OFFICER_API_HEADERS = ["Content-Type", *(f.title() for f in signatures.FIELDS)]
FORWARDING = {"public-api": "PublicApiForwarding", "officer-api": "OfficerApiForwarding"}
POLICY_RESOURCES = {
    Kind.page: "PageHeaders",
    Kind.private_page: "PrivatePageHeaders",
    Kind.asset: "AssetHeaders",
    Kind.api: "ApiHeaders",
}

_SECURITY = {
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
}

INDEX_FUNCTION = """function handler(event) {
  var request = event.request;
  if (request.uri.endsWith('/')) {
    request.uri += 'index.html';
  } else if (request.uri.split('/').pop().indexOf('.') === -1) {
    request.uri += '/index.html';
  }
  return request;
}
"""


def _hsts() -> dict[str, Any]:
    parts = [p.strip() for p in http_policy.HSTS.split(";")]
    max_age = next(int(p.split("=")[1]) for p in parts if p.startswith("max-age="))
    return {
        "AccessControlMaxAgeSec": max_age,
        "IncludeSubdomains": "includeSubDomains" in parts,
        "Preload": "preload" in parts,
        "Override": True,
    }


def headers_config(kind: Kind, *, override: bool) -> dict[str, Any]:
    """CloudFront's ``ResponseHeadersPolicyConfig`` for ``kind``'s header set (plus HSTS)."""
    headers = http_policy.headers_for(kind)
    security: dict[str, Any] = {"StrictTransportSecurity": _hsts()}
    custom = []
    for name, value in headers.items():
        lower = name.lower()
        if lower == "content-security-policy":
            security["ContentSecurityPolicy"] = {
                "ContentSecurityPolicy": value,
                "Override": override,
            }
        elif lower == "x-content-type-options":
            if value != "nosniff":
                raise ValueError("CloudFront can only send nosniff")
            security["ContentTypeOptions"] = {"Override": override}
        elif lower == "x-frame-options":
            security["FrameOptions"] = {"FrameOption": value.upper(), "Override": override}
        elif lower == "referrer-policy":
            security["ReferrerPolicy"] = {"ReferrerPolicy": value, "Override": override}
        else:
            custom.append({"Header": name, "Value": value, "Override": override})
    return {
        "Name": {"Fn::Sub": f"jubao-${{Stage}}-{kind.value.replace('_', '-')}"},
        "Comment": f"chalicelib/web/http_policy.py, Kind.{kind.value}",
        "SecurityHeadersConfig": security,
        "CustomHeadersConfig": {"Items": custom},
    }


def headers_of(config: dict[str, Any]) -> dict[str, str]:
    """The headers a ``ResponseHeadersPolicyConfig`` sends (the inverse, for the tests)."""
    security = config["SecurityHeadersConfig"]
    headers = {item["Header"]: item["Value"] for item in config["CustomHeadersConfig"]["Items"]}
    if "ContentSecurityPolicy" in security:
        headers["Content-Security-Policy"] = security["ContentSecurityPolicy"][
            "ContentSecurityPolicy"
        ]
    if "ContentTypeOptions" in security:
        headers["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in security:
        headers["X-Frame-Options"] = security["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in security:
        headers["Referrer-Policy"] = security["ReferrerPolicy"]["ReferrerPolicy"]
    hsts = security.get("StrictTransportSecurity")
    if hsts:
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts["IncludeSubdomains"] else ""
        value += "; preload" if hsts["Preload"] else ""
        headers["Strict-Transport-Security"] = value
    return headers


def _api_origin(origin_id: str, api_parameter: str) -> dict[str, Any]:
    return {
        "Id": origin_id,
        # the APIs refuse requests without it (chalicelib/web/origin.py): their execute-api
        # names are not a way around CloudFront; a viewer's own copy is overwritten
        "OriginCustomHeaders": [
            {"HeaderName": origin.ORIGIN_HEADER, "HeaderValue": {"Ref": "OriginSecret"}}
        ],
        "DomainName": {
            "Fn::Sub": f"${{{api_parameter}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
        },
        "OriginPath": f"/{API_STAGE}",
        "CustomOriginConfig": {
            "OriginProtocolPolicy": "https-only",
            "HTTPSPort": 443,
            "OriginSSLProtocols": ["TLSv1.2"],
        },
    }


def _forwarding(name: str, headers: list[str], comment: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::OriginRequestPolicy",
        "Properties": {
            "OriginRequestPolicyConfig": {
                "Name": {"Fn::Sub": f"jubao-${{Stage}}-{name}"},
                "Comment": comment,
                # a list, not "allExcept Host": CloudFront adds its own headers (the
                # viewer's address) only to a list, and API Gateway needs its own Host
                "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": headers},
                "CookiesConfig": {"CookieBehavior": "none"},
                "QueryStringsConfig": {"QueryStringBehavior": "all"},
            }
        },
    }


def _api_behaviour(pattern: str, origin_id: str) -> dict[str, Any]:
    return {
        "PathPattern": pattern,
        "TargetOriginId": origin_id,
        "ViewerProtocolPolicy": "https-only",
        "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
        "CachedMethods": ["GET", "HEAD"],
        "CachePolicyId": {"Ref": "ApiNoCache"},
        "OriginRequestPolicyId": {"Ref": FORWARDING[origin_id]},
        "ResponseHeadersPolicyId": {"Ref": POLICY_RESOURCES[Kind.api]},
        "Compress": False,
    }


def _site_behaviour(pattern: str | None, kind: Kind, china: bool) -> dict[str, Any]:
    behaviour: dict[str, Any] = {
        "TargetOriginId": "site",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD"],
        "CachedMethods": ["GET", "HEAD"],
        "CachePolicyId": {"Ref": "SiteCache"},
        "ResponseHeadersPolicyId": {"Ref": POLICY_RESOURCES[kind]},
        "Compress": True,
    }
    if not china:
        behaviour["FunctionAssociations"] = [
            {
                "EventType": "viewer-request",
                "FunctionARN": {"Fn::GetAtt": ["IndexDocuments", "FunctionARN"]},
            }
        ]
    if pattern is not None:
        behaviour = {"PathPattern": pattern, **behaviour}
    return behaviour


def _reader(china: bool) -> dict[str, Any]:
    """The bucket policy's one Allow: this distribution (OAC) or this identity (OAI, China)."""
    if china:
        return {
            "Sid": "OnlyThisOriginIdentity",
            "Effect": "Allow",
            "Principal": {"CanonicalUser": {"Fn::GetAtt": ["SiteAccess", "S3CanonicalUserId"]}},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${SiteBucket.Arn}/*"},
        }
    return {
        "Sid": "OnlyThisDistribution",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "${SiteBucket.Arn}/*"},
        "Condition": {
            "StringEquals": {
                "AWS:SourceArn": {
                    "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
                    "distribution/${Distribution}"
                }
            }
        },
    }


def _site_origin(china: bool) -> dict[str, Any]:
    origin: dict[str, Any] = {
        "Id": "site",
        "DomainName": {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]},
    }
    if china:
        origin["S3OriginConfig"] = {
            "OriginAccessIdentity": {"Fn::Sub": "origin-access-identity/cloudfront/${SiteAccess}"}
        }
    else:
        origin["OriginAccessControlId"] = {"Fn::GetAtt": ["SiteAccess", "Id"]}
        origin["S3OriginConfig"] = {"OriginAccessIdentity": ""}
    return origin


def _name_parameters(china: bool) -> dict[str, Any]:
    if china:
        return {
            "DomainName": {
                "Type": "String",
                "MinLength": 1,
                "Description": "The site's ICP-filed host name "
                "(CloudFront in China serves no default name).",
            },
            "CertificateId": {
                "Type": "String",
                "MinLength": 1,
                "Description": "IAM server certificate id for DomainName "
                "(ACM is not available to CloudFront in China).",
            },
        }
    return {
        "DomainName": {
            "Type": "String",
            "Default": "",
            "Description": "The site's host name (empty: CloudFront's own *.cloudfront.net name).",
        },
        "CertificateArn": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^(arn:aws[a-zA-Z-]*:acm:us-east-1:[0-9]{12}:certificate/.+)?$",
            "Description": "ACM certificate (us-east-1) for DomainName.",
        },
    }


def _names(china: bool) -> dict[str, Any]:
    """Aliases and certificate: a required ICP-filed name in China, optional elsewhere."""
    if china:
        return {
            "Aliases": [{"Ref": "DomainName"}],
            "ViewerCertificate": {
                "IamCertificateId": {"Ref": "CertificateId"},
                "SslSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
        }
    return {
        "Aliases": {"Fn::If": ["HasDomain", [{"Ref": "DomainName"}], {"Ref": "AWS::NoValue"}]},
        "ViewerCertificate": {
            "Fn::If": [
                "HasDomain",
                {
                    "AcmCertificateArn": {"Ref": "CertificateArn"},
                    "SslSupportMethod": "sni-only",
                    "MinimumProtocolVersion": "TLSv1.2_2021",
                },
                {"CloudFrontDefaultCertificate": True},
            ]
        },
    }


def public_api_headers(china: bool) -> list[str]:
    """What goes to the public API; outside China also CloudFront's viewer address.

    In China it is left out: that the China regions' CloudFront fills it in is not
    confirmed (the operators' list of differences does not say; cfn-lint's schemas cannot,
    a header name being a plain string), and a listed name CloudFront does not fill in
    itself is a viewer header, whose value the viewer chooses. There the function limits
    per source address (per edge node), as it did before this header was used.
    """
    return PUBLIC_API_HEADERS if china else [*PUBLIC_API_HEADERS, origin.VIEWER_ADDRESS_HEADER]


def template(variant: str = "global") -> dict[str, Any]:
    """The whole site stack; ``china`` for aws-cn (see the module's notes)."""
    china = variant == "china"
    resources: dict[str, Any] = {
        "SiteBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Delete",  # the built site; `make deploy` uploads it again
            "Properties": {
                "BucketName": {"Fn::Sub": "jubao-${Stage}-site-${AWS::AccountId}-${AWS::Region}"},
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            },
        },
        "SiteBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "SiteBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        _reader(china),
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                {"Fn::GetAtt": ["SiteBucket", "Arn"]},
                                {"Fn::Sub": "${SiteBucket.Arn}/*"},
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                    ],
                },
            },
        },
        "SiteCache": {
            "Type": "AWS::CloudFront::CachePolicy",
            "Properties": {
                "CachePolicyConfig": {
                    "Name": {"Fn::Sub": "jubao-${Stage}-site"},
                    "MinTTL": 0,
                    # objects carry http_policy's Cache-Control; this is the fallback
                    "DefaultTTL": 300,
                    "MaxTTL": 31536000,
                    "ParametersInCacheKeyAndForwardedToOrigin": {
                        "EnableAcceptEncodingGzip": True,
                        "EnableAcceptEncodingBrotli": True,
                        "HeadersConfig": {"HeaderBehavior": "none"},
                        "CookiesConfig": {"CookieBehavior": "none"},
                        "QueryStringsConfig": {"QueryStringBehavior": "none"},
                    },
                }
            },
        },
        "ApiNoCache": {
            "Type": "AWS::CloudFront::CachePolicy",
            "Properties": {
                "CachePolicyConfig": {
                    "Name": {"Fn::Sub": "jubao-${Stage}-api"},
                    "MinTTL": 0,
                    "DefaultTTL": 0,
                    "MaxTTL": 0,
                    "ParametersInCacheKeyAndForwardedToOrigin": {
                        "EnableAcceptEncodingGzip": False,
                        "HeadersConfig": {"HeaderBehavior": "none"},
                        "CookiesConfig": {"CookieBehavior": "none"},
                        "QueryStringsConfig": {"QueryStringBehavior": "none"},
                    },
                }
            },
        },
        FORWARDING["public-api"]: _forwarding(
            "public-api",
            public_api_headers(china),
            "the headers the public API reads"
            + ("" if china else ", and the viewer's address (rate limits only)"),
        ),
        FORWARDING["officer-api"]: _forwarding(
            "officer-api", OFFICER_API_HEADERS, "the headers the officers' API reads"
        ),
    }
    if china:
        resources["SiteAccess"] = {
            "Type": "AWS::CloudFront::CloudFrontOriginAccessIdentity",
            "Properties": {
                "CloudFrontOriginAccessIdentityConfig": {
                    "Comment": {"Fn::Sub": "jubao ${Stage} site"}
                }
            },
        }
    else:
        resources["SiteAccess"] = {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": {"Fn::Sub": "jubao-${Stage}-site"},
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        }
        resources["IndexDocuments"] = {
            "Type": "AWS::CloudFront::Function",
            "Properties": {
                "Name": {"Fn::Sub": "jubao-${Stage}-index-documents"},
                "AutoPublish": True,
                "FunctionConfig": {
                    "Comment": "/x/ -> /x/index.html",
                    "Runtime": "cloudfront-js-2.0",
                },
                "FunctionCode": INDEX_FUNCTION,
            },
        }
    for kind, name in POLICY_RESOURCES.items():
        # the API's own answers carry their headers (form answers have another CSP): the
        # policy only fills in what API Gateway's own answers (429, 502) lack
        resources[name] = {
            "Type": "AWS::CloudFront::ResponseHeadersPolicy",
            "Properties": {
                "ResponseHeadersPolicyConfig": headers_config(kind, override=kind is not Kind.api)
            },
        }
    resources["Distribution"] = {
        "Type": "AWS::CloudFront::Distribution",
        # W1030: cfn-lint resolves CertificateArn to its default "", which only HasDomain's
        # false branch (no certificate) ever sees
        "Metadata": {"cfn-lint": {"config": {"ignore_checks": ["W1030"]}}},
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": {"Fn::Sub": "jubao ${Stage}"},
                "HttpVersion": "http2" if china else "http2and3",
                "IPV6Enabled": True,
                "DefaultRootObject": "index.html",
                **_names(china),
                "Origins": [
                    _site_origin(china),
                    _api_origin("public-api", "PublicApiId"),
                    _api_origin("officer-api", "OfficerApiId"),
                ],
                # first match wins: the officers' prefix before the public API's
                "CacheBehaviors": [
                    _api_behaviour(OFFICER_PATHS, "officer-api"),
                    _api_behaviour(API_PATHS, "public-api"),
                    *(_site_behaviour(pattern, kind, china) for pattern, kind in SITE_BEHAVIOURS),
                ],
                "DefaultCacheBehavior": _site_behaviour(None, Kind.page, china),
            }
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            "jubao site: the built site in a private bucket behind CloudFront (origin access "
            "control, the security headers of chalicelib/web/http_policy.py), /api/* routed to "
            "the API Gateway stages so site and API share one origin. Generated by infra/site.py."
        ),
        "Parameters": {
            "Stage": {"Type": "String", "AllowedPattern": "^[a-z][a-z0-9-]{1,15}$"},
            "PublicApiId": {"Type": "String", "Description": "public function stack output ApiId"},
            "OfficerApiId": {
                "Type": "String",
                "Description": "officer function stack output ApiId",
            },
            **_name_parameters(china),
            "OriginSecret": {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 16,
                "Description": "JUBAO_ORIGIN_SECRET of both function stacks (base64); "
                "never in a template or an output.",
            },
        },
        "Conditions": {"HasDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]}},
        "Resources": resources,
        "Outputs": {
            "SiteBucketName": {"Value": {"Ref": "SiteBucket"}},
            "DistributionId": {"Value": {"Ref": "Distribution"}},
            "DistributionDomain": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "SiteUrl": {
                "Value": {
                    "Fn::Sub": [
                        "https://${Host}",
                        {
                            "Host": {
                                "Fn::If": [
                                    "HasDomain",
                                    {"Ref": "DomainName"},
                                    {"Fn::GetAtt": ["Distribution", "DomainName"]},
                                ]
                            }
                        },
                    ]
                }
            },
        },
    }


def rendered(variant: str) -> str:
    return json.dumps(template(variant), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    for variant, path in PATHS.items():
        path.write_text(rendered(variant), encoding="utf-8")
        print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
