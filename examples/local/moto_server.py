"""moto's server, with log groups created as if they had existed for 30 days.

In an account, a log group usually exists long before the events a run exports, and
CreateExportTask refuses a window that ended before its group was created. CreateLogGroup
cannot back-date a group, so this server dates every new group 30 days back: the seeded
groups then hold the past days the local run exports.
"""
import sys

from moto.logs import models
from moto.server import main

BACKDATE_MS = 30 * 86_400_000

_init = models.LogGroup.__init__


def _backdated_init(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.creation_time -= BACKDATE_MS


models.LogGroup.__init__ = _backdated_init

if __name__ == "__main__":
    main(sys.argv[1:])
