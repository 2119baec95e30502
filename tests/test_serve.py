"""`kbgen serve` rebuilds when an agent edits a case: the served page changes without a restart."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.kb import case_text, write_kb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def wait_for(predicate, seconds: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def test_serve_rebuilds_when_a_case_changes(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("CASE-A", solution="1. Sign out.\n2. Sign in again."),
                                 "z.md": case_text("CASE-Z", title="Printer jams", solution="1. Open tray B and pull the sheet.")})
    port = free_port()
    kbgen = Path(sys.executable).with_name("kbgen")
    proc = subprocess.Popen([str(kbgen), "serve", "-f", str(config), "-a", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/kb/case-a/"
        assert wait_for(lambda: "Sign in again" in fetch(url)), "serve never showed the article"
        case = tmp_path / "content" / "cases" / "a.md"
        case.write_text(case.read_text().replace("Sign in again.", "Sign in with the new password."))
        assert wait_for(lambda: "Sign in with the new password" in fetch(url)), "serve did not rebuild after the edit"
        # serve rewrites only what the edit changed; what it did not change is still served whole
        assert "Open tray B" in fetch(f"http://127.0.0.1:{port}/kb/case-z/")
        assert "Printer jams" in fetch(f"http://127.0.0.1:{port}/products/acme-sync/")
        (tmp_path / "content" / "cases" / "b.md").write_text(case_text("CASE-B", title="Brand new problem", solution="1. Reboot the router."))
        assert wait_for(lambda: "Brand new problem" in fetch(f"http://127.0.0.1:{port}/kb/case-b/"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0  # SIGTERM shuts serve down as Ctrl-C does: its temporary site and search folders go
