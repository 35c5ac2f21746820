"""What the integrations' Ray tests share: a real local Ray instance of 2 CPUs, one per test module."""

from __future__ import annotations

import shutil
import tempfile

import pytest


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray instance of 2 CPUs for the module, shut down after it; yields its temp dir, its own and short
    (Ray's socket paths are long)."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'codekiln[ray]')")
    temp = tempfile.mkdtemp(prefix="ray")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_AUTH_MODE", "disabled")  # no token written to ~/.ray
        ray.init(num_cpus=2, _temp_dir=temp, include_dashboard=False, log_to_driver=False,
                 object_store_memory=80 * 1024 * 1024)
        try:
            yield temp
        finally:
            ray.shutdown()
            shutil.rmtree(temp, ignore_errors=True)
