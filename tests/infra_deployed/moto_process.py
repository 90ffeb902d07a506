"""moto's HTTP server in a process of its own, for the deployed-stack tests.

Run as ``python -m tests.infra_deployed.moto_process``: it serves moto on two loopback
ports onto the same state and prints one JSON line, ``{"url": ..., "serial": ...}``:

- ``url``: moto's own threaded server (``ThreadedMotoServer``), as ``moto_server`` runs;
- ``serial``: one request at a time, for the contract tests of racing writers (moto's
  DynamoDB takes no lock, so only a serial endpoint makes each conditional write atomic,
  as DynamoDB does; see ``tests/store/moto_env.py``).

Why a process: moto's state is global to a Python process, and the other AWS tests of a
pytest worker reset it between tests (``POST /moto-api/reset``), which would take the
deployed stack with it. The process ends when its standard input closes, so it never
outlives the test session that started it.
"""

from __future__ import annotations

import json
import logging
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access-log line per request
    threaded = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    threaded.start()
    host, port = threaded.get_host_and_port()
    serial = make_server(
        "127.0.0.1",
        0,
        DomainDispatcherApplication(create_backend_app),
        threaded=False,
        request_handler=MotoRequestHandler,
    )
    threading.Thread(target=serial.serve_forever, daemon=True).start()
    urls = {"url": f"http://{host}:{port}", "serial": f"http://127.0.0.1:{serial.server_port}"}
    print(json.dumps(urls), flush=True)
    sys.stdin.read()  # until the parent closes the pipe (or dies)
    serial.shutdown()
    threaded.stop()


if __name__ == "__main__":
    main()
