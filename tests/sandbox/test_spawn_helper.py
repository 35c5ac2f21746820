"""spawn(helper=True): a trusted program that lives across samples (the Java compile server) runs with a run's
isolation under a uid of the helpers' range, so that a process under a sample's uid never outlives its run."""

from __future__ import annotations

import pytest

from codekiln.sandbox import spawn
from codekiln.sandbox._uids import HELPER_UID_RANGE, UID_RANGE

from .conftest import ISOLATED

# Writes its uid and its capabilities on the channel, then waits for stdin to close.
_SAY_WHO = 'id -u >&3; grep CapEff /proc/self/status >&3; read line'


@pytest.mark.parametrize("level", ISOLATED, ids=lambda level: level.value)
@pytest.mark.parametrize("helper", [True, False], ids=["helper", "sample"])
def test_a_helper_has_a_uid_of_its_own_range(level, helper):
    with spawn(["/bin/sh", "-c", _SAY_WHO], isolation=level, helper=helper) as proc:
        uid = int(proc.channel.readline())
        capabilities = proc.channel.readline().split()[-1]
    assert uid in (HELPER_UID_RANGE if helper else UID_RANGE)
    assert int(capabilities, 16) == 0  # unprivileged either way
