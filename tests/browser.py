"""A real headless browser for tests: Debian's Chromium driven by its chromedriver through the
W3C WebDriver protocol (plain HTTP + JSON; no client library). ``available()`` says why not
when the browser or the driver is missing (``make sysdeps`` installs both where root).

Chromium is started offline-safe: --headless --no-sandbox --disable-gpu
--disable-background-networking --disable-component-update --no-first-run --disable-sync and
a fresh --user-data-dir."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync",
               "--disable-dev-shm-usage", "--window-size=1280,1600"]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"   # W3C web element key


def binaries() -> tuple[str | None, str | None]:
    return (shutil.which("chromium") or shutil.which("chromium-browser"),
            shutil.which("chromedriver"))


def available() -> str:
    """'' when a browser test can run, else the reason it cannot."""
    b, d = binaries()
    if b is None or d is None:
        return ("Chromium and chromedriver are not installed (Debian: apt-get install chromium "
                "chromium-driver; `make test` does it when run as root)")
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, timeout: float = 60.0):
        binary, driver = binaries()
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="inkrepro-chromium-")
        self.proc = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + timeout
        while True:
            try:
                if self._call("GET", "/status")["ready"]:
                    break
            except (OSError, urllib.error.URLError):
                pass
            if time.time() > deadline:
                self.close()
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.2)
        caps = {"browserName": "chrome", "goog:chromeOptions": {
            "binary": binary, "args": CHROME_ARGS + [f"--user-data-dir={self.profile}"]}}
        self.sid = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"WebDriver {method} {path}: {e.read()[:500]!r}") from None

    def cmd(self, method: str, path: str, body: dict | None = None):
        return self._call(method, f"/session/{self.sid}{path}", body)

    def get(self, url: str) -> None:
        self.cmd("POST", "/url", {"url": url})

    def find_all(self, css: str) -> list[str]:
        return [e[ELEMENT] for e in self.cmd("POST", "/elements", {"using": "css selector", "value": css})]

    def wait_for(self, css: str, timeout: float = 60.0, pred=None) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for e in self.find_all(css):
                if pred is None or pred(e):
                    return e
            time.sleep(0.3)
        raise TimeoutError(f"no element {css!r} after {timeout:.0f} s")

    def attribute(self, element: str, name: str):
        return self.cmd("GET", f"/element/{element}/attribute/{name}")

    def send_keys(self, element: str, text: str) -> None:
        self.cmd("POST", f"/element/{element}/value", {"text": text})

    def click(self, element: str) -> None:
        self.cmd("POST", f"/element/{element}/click", {})

    def script(self, js: str, *args):
        return self.cmd("POST", "/execute/sync", {"script": js, "args": list(args)})

    def close(self) -> None:
        try:
            if getattr(self, "sid", None):
                self.cmd("DELETE", "")
        except Exception:  # noqa: BLE001 - the browser may be gone already
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
