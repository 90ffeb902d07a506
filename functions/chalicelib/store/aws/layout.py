"""The layout of the table and the bucket: what infra and the IAM policies must agree with.

``infra/storage.json`` (table keys and index, TTL attribute, lifecycle rules) and
``infra/policies.py`` (the prefixes each function may touch) are checked against these
names by the tests; change them here and there together.

**One table** (``settings.table``), keys ``pk``/``sk``:

=======================  ===================  ===========================================
item                     pk                   sk
=======================  ===================  ===========================================
report                   ``report#{number}``  ``report``
entry (n-th, from 1)     ``report#{number}``  ``entry#{n:010d}`` (insertion order)
idempotency record       ``idem#{hash hex}``  ``idem``
attachment record        ``attachment#{id}``  ``attachment``
=======================  ===================  ===========================================

One table keeps ``create_report`` a single-table transaction and a report's entries in
its own item collection (one ``Query``). Reports also carry ``tpk``/``tsk`` for the
``by_received`` index used by ``iter_reports`` (constant partition ``reports``, sort key
= fixed-width UTC time + number).

**Expiry**: idempotency records and unclaimed attachment records carry a ``ttl`` number
(epoch seconds) for DynamoDB TTL.

**The bucket**: uploads arrive in ``staging/{id}``, sealed attachments live in
``sealed/{id}``. The lifecycle expires ``staging/`` after ``STAGING_DAYS`` and every
``sealed/`` object carrying the tag ``UNCLAIMED_TAG`` after ``UNCLAIMED_SEALED_DAYS``
days (noncurrent versions too).
"""

from __future__ import annotations

from typing import Any

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TIME_INDEX = "by_received"
TIME_INDEX_PARTITION = "tpk"
TIME_INDEX_SORT = "tsk"
TTL_ATTRIBUTE = "ttl"
SEALED_PREFIX = "sealed/"
STAGING_PREFIX = "staging/"
UNCLAIMED_TAG_KEY = "jubao-unclaimed"
UNCLAIMED_TAG = f"{UNCLAIMED_TAG_KEY}=1"  # set on sealed objects, removed when claimed
UNCLAIMED_SEALED_DAYS = 2  # > the 24 h an upload may wait for its claim, plus clock slack
STAGING_DAYS = 1
REPORTS_PARTITION = "reports"  # the GSI partition holding every report
ENTRY_SORT_PREFIX = "entry#"
ATTACHMENT_PARTITION_PREFIX = "attachment#"


def table_schema() -> dict[str, Any]:
    """Keys and index of the table, as ``create_table`` / CloudFormation spell them."""
    return {
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"}
            for name in (PARTITION_KEY, SORT_KEY, TIME_INDEX_PARTITION, TIME_INDEX_SORT)
        ],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": TIME_INDEX,
                "KeySchema": [
                    {"AttributeName": TIME_INDEX_PARTITION, "KeyType": "HASH"},
                    {"AttributeName": TIME_INDEX_SORT, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def sealed_key(attachment_id: str) -> str:
    return f"{SEALED_PREFIX}{attachment_id}"


def staging_key(attachment_id: str) -> str:
    return f"{STAGING_PREFIX}{attachment_id}"


# ---- item keys, as DynamoDB attribute values ----------------------------------------------


def report_partition(number: str) -> str:
    """The partition of a report and its entries."""
    return f"report#{number}"


def item_key(pk: str, sk: str) -> dict[str, Any]:
    return {PARTITION_KEY: {"S": pk}, SORT_KEY: {"S": sk}}


def report_key(number: str) -> dict[str, Any]:
    return item_key(report_partition(number), "report")


def entry_key(number: str, n: int) -> dict[str, Any]:
    """The n-th entry (from 1) of a report: the fixed width sorts in insertion order."""
    return item_key(report_partition(number), f"{ENTRY_SORT_PREFIX}{n:010d}")


def idem_key(key_hash: bytes) -> dict[str, Any]:
    return item_key(f"idem#{key_hash.hex()}", "idem")


def attachment_key(attachment_id: str) -> dict[str, Any]:
    return item_key(f"{ATTACHMENT_PARTITION_PREFIX}{attachment_id}", "attachment")
