"""The upload sealer: S3's event for a staged upload, handled by a function of its own.

In AWS a browser uploads straight to ``staging/`` (a presigned POST); this handler (its
own Lambda, with the only role that may read ``staging/``) checks, cleans and seals the
file and deletes the plain copy. It answers no HTTP request, so it is not a route.
"""

from __future__ import annotations

import json
import logging

from ..reports import attachments
from .app import PublicApp

log = logging.getLogger("jubao.api")


def seal_staged_upload(app: PublicApp, bucket: str, key: str) -> None:
    """Seal one staged upload; one log line names the attachment and what happened."""
    outcome = attachments.seal_staged_object(app.intake, bucket, key)
    # the outcome names the attachment and what happened, never its content
    log.info(
        json.dumps(
            {
                "event": "seal_upload",
                "attachment": outcome.attachment_id,
                "result": outcome.result,
                "code": outcome.code,
            }
        )
    )
