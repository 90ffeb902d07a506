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
case record              ``report#{number}``  ``case``
wrapped key              ``report#{number}``  ``wrap#{officer}#{blob}``
audit log head           ``LOG#{unit}``       ``HEAD`` (size, last leaf hash)
audit leaf (i-th, 0..)   ``LOG#{unit}``       ``IDX#{i:012d}``
a case's audit pointer   ``report#{number}``  ``audit#{unit}#{i:012d}`` (keys only)
checkpoint               ``CKPT#{unit}``      ``SIZE#{size:012d}``
request nonce            ``nonce#{hash hex}`` ``nonce``
=======================  ===================  ===========================================

One table keeps ``create_report`` a single-table transaction and a report's entries in
its own item collection (one ``Query``). Reports also carry ``tpk``/``tsk`` for the
``by_received`` index used by ``iter_reports`` (constant partition ``reports``, sort key
= fixed-width UTC time + number).

**Cases** carry ``upk``/``usk`` for the ``by_unit_deadline`` index of ``list_cases``:
partition ``{unit}#open`` or ``{unit}#closed``, sort key ``{deadline or 9999-12-31}#{number}``.
It is ``KEYS_ONLY``: an index holds no copy of anything but keys, and the page is then
read from the table (``BatchGetItem``). The case sits in its report's partition, so a
case, its wraps and its report are one item collection. An audit log's head item holds
its size and last leaf hash; every append is conditional on the size it read.

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
CASE_INDEX = "by_unit_deadline"
CASE_INDEX_PARTITION = "upk"
CASE_INDEX_SORT = "usk"
CASE_SORT = "case"
WRAP_SORT_PREFIX = "wrap#"
AUDIT_LEAF_PREFIX = "IDX#"
AUDIT_HEAD = "HEAD"
CASE_AUDIT_PREFIX = "audit#"
CHECKPOINT_SORT_PREFIX = "SIZE#"
NONCE_PARTITION_PREFIX = "nonce#"


def table_schema() -> dict[str, Any]:
    """Keys and index of the table, as ``create_table`` / CloudFormation spell them."""
    return {
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"}
            for name in (
                PARTITION_KEY,
                SORT_KEY,
                TIME_INDEX_PARTITION,
                TIME_INDEX_SORT,
                CASE_INDEX_PARTITION,
                CASE_INDEX_SORT,
            )
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
            },
            {
                "IndexName": CASE_INDEX,
                "KeySchema": [
                    {"AttributeName": CASE_INDEX_PARTITION, "KeyType": "HASH"},
                    {"AttributeName": CASE_INDEX_SORT, "KeyType": "RANGE"},
                ],
                # keys only: no sealed or officer data is copied into an index
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
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


def case_key(number: str) -> dict[str, Any]:
    return item_key(report_partition(number), CASE_SORT)


def case_index_partition(unit: str, is_open: bool) -> str:
    return f"{unit}#{'open' if is_open else 'closed'}"


def wrap_key(number: str, officer: str, blob: str) -> dict[str, Any]:
    return item_key(report_partition(number), f"{WRAP_SORT_PREFIX}{officer}#{blob}")


def audit_partition(log: str) -> str:
    return f"LOG#{log}"


def audit_head_key(log: str) -> dict[str, Any]:
    return item_key(audit_partition(log), AUDIT_HEAD)


def audit_leaf_sort(index: int) -> str:
    return f"{AUDIT_LEAF_PREFIX}{index:012d}"


def audit_leaf_key(log: str, index: int) -> dict[str, Any]:
    return item_key(audit_partition(log), audit_leaf_sort(index))


def case_audit_key(number: str, log: str, index: int) -> dict[str, Any]:
    """A pointer from a case to one entry about it (the leaf's log and index, no copy)."""
    return item_key(report_partition(number), f"{CASE_AUDIT_PREFIX}{log}#{index:012d}")


def case_audit_leaf(sort_key: str) -> tuple[str, int]:
    """The (log, index) a case's audit pointer names, from its sort key."""
    log, index = sort_key[len(CASE_AUDIT_PREFIX) :].split("#")
    return log, int(index)


def checkpoint_partition(log: str) -> str:
    return f"CKPT#{log}"


def checkpoint_key(log: str, size: int) -> dict[str, Any]:
    return item_key(checkpoint_partition(log), f"{CHECKPOINT_SORT_PREFIX}{size:012d}")


def nonce_key(nonce_hash: bytes) -> dict[str, Any]:
    return item_key(f"{NONCE_PARTITION_PREFIX}{nonce_hash.hex()}", "nonce")
