import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST_LIBC = "/lib/x86_64-linux-gnu/libc.so.6"

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("default")


@pytest.fixture(scope="session")
def host_libc() -> str:
    if not os.path.exists(HOST_LIBC):
        pytest.skip("no x86_64 glibc here")
    return HOST_LIBC


@pytest.fixture(scope="session")
def gcc() -> str:
    path = shutil.which("gcc")
    if path is None:
        pytest.fail("gcc is needed (scripts/test installs it)")
    return path


@pytest.fixture(scope="session")
def versioned_lib(tmp_path_factory, gcc) -> str:
    """libversioned.so.1 built from csrc/testlib with its version script."""
    out = tmp_path_factory.mktemp("versioned") / "libversioned.so.1"
    src = os.path.join(ROOT, "csrc", "testlib")
    subprocess.run(
        [gcc, "-shared", "-fPIC", "-O1", "-nostdlib", "-o", str(out),
         os.path.join(src, "versioned.c"),
         f"-Wl,--version-script={os.path.join(src, 'versioned.map')}",
         "-Wl,-soname,libversioned.so.1"],
        check=True,
    )
    return str(out)


@pytest.fixture(scope="session")
def versioned_program(tmp_path_factory, gcc, versioned_lib) -> str:
    """A PIE importing foo@V1 and foo@V2 from libversioned.so.1 and COPY-relocating table."""
    out = tmp_path_factory.mktemp("prog") / "uses_versions"
    src = os.path.join(ROOT, "csrc", "testlib", "uses_versions.c")
    subprocess.run(
        [gcc, "-O1", "-fPIE", "-pie", "-o", str(out), src,
         versioned_lib],
        check=True,
    )
    return str(out)
