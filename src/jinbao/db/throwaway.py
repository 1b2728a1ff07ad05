"""A throwaway PostgreSQL cluster (tests and benchmarks): initdb in a temp dir, unix socket only.

Found from ``initdb``/``pg_ctl`` on the PATH or under /usr/lib/postgresql/*/bin. PostgreSQL
refuses to run as root, so as root the cluster belongs to the ``postgres`` system user (Debian's
packages create it) and is driven with ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass


def find_bin_dir() -> pathlib.Path | None:
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return pathlib.Path(os.path.realpath(on_path)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if (pathlib.Path(candidate) / "initdb").exists():
            return pathlib.Path(candidate)
    return None


@dataclass
class Cluster:
    bin_dir: pathlib.Path
    root: pathlib.Path
    user: str | None  # the OS user running the server when we are root

    @property
    def socket_dir(self) -> pathlib.Path:
        return self.root

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://jinbao@/{database}?host={self.socket_dir}"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> None:
        data = self.root / "data"
        self._run("initdb", "-D", str(data), "-U", "jinbao", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C")  # fmt: skip
        options = (
            f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w",
                  "start")  # fmt: skip

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _has_c_utf8() -> bool:
    return os.path.exists("/usr/lib/locale/C.utf8") or os.path.exists("/usr/lib/locale/C.UTF-8")


def start_cluster(bin_dir: pathlib.Path) -> Cluster:
    root = pathlib.Path(tempfile.mkdtemp(prefix="jinbao-pg-"))
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        root.chmod(0o755)
    cluster = Cluster(bin_dir, root, user)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        log = root / "log"
        detail = log.read_text() if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr}\n{detail}") from exc
    return cluster
