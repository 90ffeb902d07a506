"""The data-plane stack deployed into moto, and the fixtures the store tests know, on it.

``moto`` starts moto in a process of its own (``moto_process``); ``moto_stack`` deploys
``infra/storage.json`` there through CloudFormation, once per session. The tests build
their store from the stack's *outputs* (``TableName``, ``BucketName``, ``KeyArn``), never
from ``layout.py``'s own create functions. The fixture names are those of
``tests/store`` (``backend``, ``aws_settings``, ``serial_moto``), so the contract tests
run here unchanged (``test_deployed_contracts.py``); each test starts from an empty
table and bucket, wiped item by item, while the deployed resources stay.

moto drops some of what the template asks for (``test_deployed_settings.py`` records
which, on a stack of its own, ``observed_stack``, left as moto made it). One of them the
store relies on, the bucket's versioning, is put back on ``moto_stack`` from the
template's own ``VersioningConfiguration``, as AWS would have applied it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import pytest

from chalicelib.config.settings import Settings
from chalicelib.store.aws import AwsStore
from tests.infra_deployed.stack import (
    Moto,
    Stack,
    deploy,
    pointed_at,
    put_back_versioning,
    start_moto,
    wipe,
)

# a short wait for the sealer, as in the contract modules: a refused pending claim costs it
SEAL_WAIT: Final = 0.5


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    with start_moto(tmp_path_factory.mktemp("moto") / "moto.log") as started:
        yield started


@pytest.fixture(scope="session")
def moto_stack(moto: Moto) -> Stack:
    """The stack the store runs on (the contract suite and the end-to-end flow)."""
    stack = deploy(moto, "deployed")
    with pointed_at(moto):
        put_back_versioning(stack)
    return stack


@pytest.fixture(scope="session")
def observed_stack(moto: Moto) -> Stack:
    """A stack exactly as moto made it from the template, for reading its settings back."""
    return deploy(moto, "observed")


@pytest.fixture
def deployed_env(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> Moto:
    """boto3 pointed at the moto process (fake credentials); moto's state is kept."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)
    return moto


@pytest.fixture
def empty_stack(moto_stack: Stack, deployed_env: Moto) -> Stack:
    """The deployed stack with nothing stored in it (and boto3 pointed at it)."""
    wipe(moto_stack)
    return moto_stack


# ---- the fixture names of tests/store, backed by the deployed stack ----------------------


@dataclass
class Backend:
    """What the contract modules' ``store`` and ``contended`` fixtures open."""

    name: str
    open: Callable[[], AwsStore]


@pytest.fixture
def backend(empty_stack: Stack) -> Backend:
    settings = empty_stack.settings
    return Backend("aws", lambda: AwsStore(settings, seal_wait=SEAL_WAIT))


@pytest.fixture
def aws_settings(empty_stack: Stack) -> Settings:
    return empty_stack.settings


@pytest.fixture
def serial_moto(deployed_env: Moto) -> str:
    return deployed_env.serial
