import os
import shutil
import subprocess
import sys
from typing import Optional

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE_DIR = os.path.join(ROOT, "..", "shared", "reference")


def _host_libc() -> Optional[str]:
    """This machine's libc.so.6, found as elfdce finds it (any architecture)."""
    from elfdce.glibc.libs import locate

    return next((loc.path for loc in locate(None) if loc.library.key == "libc"), None)


HOST_LIBC = _host_libc() or "/lib/x86_64-linux-gnu/libc.so.6"



def _host_glibc() -> tuple[int, ...]:
    """The running glibc's version, as glibc itself says (confstr), e.g. (2, 36)."""
    text = os.confstr("CS_GNU_LIBC_VERSION") or "glibc 0.0"
    return tuple(int(x) for x in text.split()[1].split(".")[:2])


HOST_GLIBC = _host_glibc()
# glibc 2.34 merged libpthread, librt and libdl into libc (the old sonames are stubs), and gave
# their functions new default versions (pthread_create@@GLIBC_2.34)
HOST_MERGED = HOST_GLIBC >= (2, 34)

# the Debian packages scripts/test found this release without (it sets the variable)
UNAVAILABLE_PACKAGES = frozenset(os.environ.get("ELFDCE_UNAVAILABLE_PACKAGES", "").split())


def require_package(package: str, present: bool, what: str = "") -> None:
    """Nothing when ``present``; else skip when this release has no ``package`` (scripts/test
    found none to install), and fail otherwise: scripts/test installs it."""
    if present:
        return
    if package in UNAVAILABLE_PACKAGES:
        pytest.skip(f"{package}: this Debian release has no such package")
    pytest.fail(f"{what or package} is needed (scripts/test installs {package})")


def run_cli(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """``python -m elfdce ARGS`` in a subprocess: text output captured, with a timeout."""
    return subprocess.run([sys.executable, "-m", "elfdce", *args], capture_output=True,
                          text=True, timeout=timeout, **kwargs)


def compile_c(out, *args: str, compiler: str = "gcc") -> str:
    """Compile with ``compiler`` (sources and flags in ``args``) to ``out``; its path."""
    proc = subprocess.run([compiler, "-o", str(out), *args], capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"{compiler} {' '.join(args)}: {proc.stderr}")
    return str(out)


def reference_file(name: str) -> str:
    """A file of ../shared/reference (the project's measured references), or skip."""
    path = os.path.join(REFERENCE_DIR, name)
    if not os.path.exists(path):
        pytest.skip(f"../shared/reference/{name} is not beside this checkout")
    return path


@pytest.fixture(scope="session")
def cli():
    """`run_cli`: the command line in a subprocess."""
    return run_cli


@pytest.fixture(scope="session")
def compile_program(tmp_path_factory, gcc):
    """``compile_program(name, *sources_and_flags)``: a binary built by gcc in a temp dir."""
    where = tmp_path_factory.mktemp("built")

    def build(name: str, *args: str) -> str:
        return compile_c(where / name, *args, compiler=gcc)

    return build

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("default")


@pytest.fixture(scope="session")
def host_libc() -> str:
    """This machine's libc.so.6."""
    if not os.path.exists(HOST_LIBC):
        pytest.skip("no glibc found on this machine")
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


def host_suite() -> str:
    """This machine's Debian suite (``VERSION_CODENAME`` of /etc/os-release), or ""."""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("VERSION_CODENAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return ""
