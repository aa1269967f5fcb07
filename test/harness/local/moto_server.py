"""moto's server, with log groups created as if they had existed for 30 days.

In an account, a log group usually exists long before the events a run exports, and
CreateExportTask refuses a window that ended before its group was created. CreateLogGroup
cannot back-date a group, so this server dates every new group 30 days back: the seeded
groups then hold the past days the local run exports.

With MOTO_MISSING_KEY_403=1, S3 answers a GET of a missing key 403 AccessDenied instead of
404 NoSuchKey, as S3 answers a caller whose s3:ListBucket does not count for that decision.
"""
import os
import sys

from moto.logs import models
from moto.server import main

BACKDATE_MS = 30 * 86_400_000

_init = models.LogGroup.__init__


def _backdated_init(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.creation_time -= BACKDATE_MS


models.LogGroup.__init__ = _backdated_init

if os.environ.get("MOTO_MISSING_KEY_403") == "1":
    from moto.s3 import exceptions as s3_exceptions

    def _denied_init(self, **kwargs):
        kwargs.setdefault("template", "key_error")
        s3_exceptions.S3ClientError.__init__(self, "AccessDenied", "Access Denied", **kwargs)

    s3_exceptions.MissingKey.__init__ = _denied_init
    s3_exceptions.MissingKey.code = 403

if __name__ == "__main__":
    main(sys.argv[1:])
