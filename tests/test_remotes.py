"""Network remotes with real servers on 127.0.0.1 (docs/remotes.md).

The maintainer pushes over SSH/SFTP (``dvc-ssh``) to Debian's ``sshd``, started here on a
free port with a throwaway host key and user key (public-key authentication only); the
public pulls over read-only HTTP (``dvc-http``) from Python's ``http.server``, which serves
the very directory the SSH push filled, as a web server in front of the maintainer's
storage would. One small project (the atomic stages only) is reproduced and pushed once
per module; each test clones it afresh, as a consumer would.

The servers: ``/usr/sbin/sshd`` (``apt-get install openssh-server``) and, when running as
root, its privilege separation directory ``/run/sshd`` (its service makes it; ``.ci/run``
does in CI). Without them the module is skipped with that reason, except in CI
(``CI=true``), where the issue requires these tests to run: there it fails.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import Project, Runner, make_project, tree_bytes

pytestmark = pytest.mark.slow

SSHD = Path("/usr/sbin/sshd")
SSH_KEYGEN = Path("/usr/bin/ssh-keygen")
#: sshd's privilege separation directory: sshd started by root refuses to run without it.
PRIVSEP_DIR = Path("/run/sshd")
#: Images of the small project (one block of the generator).
SMALL = 5000
#: The stages of the small project: `dvc repro validate_atomic` runs both (and `sources`).
ATOMIC_STAGES = ("generate_atomic", "validate_atomic")
VICTIM = "data/atomic/train.h5"
#: How long a server may take to listen before the fixture gives up.
START_TIMEOUT = 20.0


def unavailable(reason: str) -> None:
    """Skip with ``reason``; in CI (``CI=true``) fail instead: the servers must run there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the remote tests must run in CI)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started in its own session (it and any child it forked)."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_for(log: Path, pattern: str, proc: subprocess.Popen[bytes]) -> re.Match[str] | None:
    """The first match of ``pattern`` in the server's log, or None once the server exited
    or :data:`START_TIMEOUT` passed."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text("utf-8", "replace"))
        if found or proc.poll() is not None:
            return found
        time.sleep(0.02)
    return None


def keygen(path: Path) -> Path:
    """A throwaway ed25519 key pair (``path`` and ``path.pub``), no passphrase."""
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path], check=True)
    return path


def public_key(key: Path) -> str:
    """``TYPE BASE64`` of a key pair's public half."""
    return " ".join(key.with_name(key.name + ".pub").read_text().split()[:2])


@dataclass
class SSHServer:
    port: int
    user: str
    key: Path  # the user's private key, in authorized_keys
    wrong_key: Path  # a key the server does not know
    host_key: Path
    log: Path
    started_in: float  # seconds from exec to "Server listening"


@dataclass
class HTTPServer:
    url: str
    root: Path  # the served directory
    log: Path  # one line per request
    started_in: float


@dataclass
class Registry:
    project: Project
    remote: Path  # the storage directory sshd writes and the HTTP server serves
    home: Path  # HOME of every command: no ~/.ssh of the machine is read
    push: subprocess.CompletedProcess[str]
    figures: dict[str, float] = field(default_factory=dict)

    def clone(self, name: str) -> Project:
        """A fresh ``git clone`` of the registry: what a consumer starts from."""
        dest = self.project.path.parent / name
        self.project.runner(["git", "clone", "-q", self.project.path, dest], dest.parent, env=self.project.extra_env)
        clone = Project(dest, self.project.runner)
        clone.extra_env = dict(self.project.extra_env)
        return clone

    def object(self, md5: str) -> Path:
        return self.remote / "files" / "md5" / md5[:2] / md5[2:]


SSHD_CONFIG = """\
ListenAddress 127.0.0.1
Port {port}
HostKey {host_key}
AuthorizedKeysFile {authorized_keys}
AllowUsers {user}
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
# pytest's temporary directories lie under the world-writable /tmp, which StrictModes refuses
StrictModes no
PidFile none
Subsystem sftp internal-sftp
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("remotes")


@pytest.fixture(scope="module")
def sshd(base: Path) -> Iterator[SSHServer]:
    """Debian's sshd on a free port of 127.0.0.1, public-key logins only, stopped at the end."""
    if not os.access(SSHD, os.X_OK) or not os.access(SSH_KEYGEN, os.X_OK):
        unavailable(f"openssh-server is not installed (no {SSHD}): apt-get install openssh-server (as root)")
    if os.geteuid() == 0 and not PRIVSEP_DIR.is_dir():
        unavailable(f"{PRIVSEP_DIR} (sshd's privilege separation directory, which its service makes) is missing: "
                    f"mkdir -p -m 0755 {PRIVSEP_DIR} (as root)")
    if importlib.util.find_spec("dvc_ssh") is None:
        unavailable("dvc-ssh is not installed: pip install -r requirements-test.lock")
    folder = base / "sshd"
    folder.mkdir()
    host_key, key, wrong_key = (keygen(folder / name) for name in ("host_key", "user_key", "wrong_key"))
    authorized = folder / "authorized_keys"
    authorized.write_text(public_key(key) + "\n")
    authorized.chmod(0o600)
    user = pwd.getpwuid(os.geteuid()).pw_name
    log = folder / "sshd.log"
    for _ in range(3):  # another process may take the free port before sshd binds it
        port = free_port()
        config = folder / "sshd_config"
        config.write_text(SSHD_CONFIG.format(port=port, host_key=host_key, authorized_keys=authorized, user=user))
        log.write_text("")
        start = time.perf_counter()
        with log.open("ab") as out:
            proc = subprocess.Popen([SSHD, "-D", "-e", "-f", config], stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            listening = wait_for(log, rf"Server listening on 127\.0\.0\.1 port {port}\.", proc)
            started_in = time.perf_counter() - start
            if listening:
                break
            if "Address already in use" not in log.read_text():
                raise AssertionError(f"sshd did not start:\n{log.read_text()}")
        except BaseException:
            stop(proc)
            raise
        stop(proc)
    else:
        raise AssertionError(f"sshd found no free port in 3 tries:\n{log.read_text()}")
    try:
        yield SSHServer(port, user, key, wrong_key, host_key, log, started_in)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def httpd(base: Path) -> Iterator[HTTPServer]:
    """Python's http.server (a ThreadingHTTPServer: GET and HEAD only) serving the remote
    directory on a free port of 127.0.0.1, stopped at the end."""
    root = base / "storage"
    root.mkdir()
    out, log = base / "http.out", base / "http.log"
    start = time.perf_counter()
    with out.open("wb") as stdout, log.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", root, "0"],
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True)
    try:
        listening = wait_for(out, r"Serving HTTP on 127\.0\.0\.1 port (\d+)", proc)
        started_in = time.perf_counter() - start
        assert listening, f"http.server did not start:\n{out.read_text()}\n{log.read_text()}"
        yield HTTPServer(f"http://127.0.0.1:{listening.group(1)}", root, log, started_in)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def registry(run: Runner, base: Path, sshd: SSHServer, httpd: HTTPServer) -> Registry:
    """The atomic stages reproduced, the two remotes configured the dataset-registry way
    and committed, then ``dvc push`` over SSH (the maintainer's ``--local`` default)."""
    home = base / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    project = make_project(base, run, num_images=SMALL)
    # HOME: no ~/.ssh/config, key or known_hosts of the machine; no agent's keys either.
    project.extra_env.update(HOME=str(home), SSH_AUTH_SOCK="")
    (project.path / "dvc.lock").unlink()  # the lock then holds the atomic stages only: `dvc pull` fetches what was pushed
    project.run("dvc", "repro", ATOMIC_STAGES[-1])
    # Committed (.dvc/config): the public read-only remote is the default of every clone...
    project.run("dvc", "remote", "add", "--default", "public", httpd.url)
    project.run("dvc", "remote", "modify", "public", "verify", "true")
    project.run("dvc", "remote", "add", "maintainer", f"ssh://127.0.0.1{httpd.root}")
    # ...and the maintainer's login and default stay in .dvc/config.local, never in git.
    for option, value in (("port", sshd.port), ("user", sshd.user), ("keyfile", sshd.key)):
        project.run("dvc", "remote", "modify", "--local", "maintainer", option, str(value))
    project.run("dvc", "remote", "default", "--local", "maintainer")
    project.commit("atomic release, public and maintainer remotes")
    tracked = project.run("git", "ls-files", ".dvc").stdout.split()
    assert ".dvc/config" in tracked and ".dvc/config.local" not in tracked, tracked
    start = time.perf_counter()
    push = project.run("dvc", "push")
    reg = Registry(project, httpd.root, home, push)
    reg.figures.update(sshd_start_s=sshd.started_in, http_start_s=httpd.started_in,
                       push_s=time.perf_counter() - start,
                       push_bytes=sum(len(b) for b in tree_bytes(httpd.root).values()))
    print(f"remotes: {reg.figures}")  # shown with -s: the figures of docs/remotes.md
    return reg


def cache_objects(project: Path) -> dict[str, bytes]:
    """The project's DVC cache objects, keyed as in a remote (``files/md5/xx/...``)."""
    return {f"files/md5/{rel}": data for rel, data in tree_bytes(project / ".dvc" / "cache" / "files" / "md5").items()}


def dir_md5(project: Path, out: str) -> str:
    """The md5 dvc.lock records for the directory output ``out`` (its ``.dir`` listing)."""
    lock = yaml.safe_load((project / "dvc.lock").read_text("utf-8"))
    return next(o["md5"] for s in lock["stages"].values() for o in s.get("outs", []) if o["path"] == out)


def test_push_over_ssh_then_a_fresh_clone_pulls_over_http(registry: Registry, sshd: SSHServer, httpd: HTTPServer) -> None:
    project = registry.project
    pushed = cache_objects(project.path)
    # Every object of the cache (data/atomic's files and listing, the report PNG) is on the
    # remote byte for byte, written by sshd for the maintainer's key.
    assert len(pushed) == 10 and f"{len(pushed)} files pushed" in registry.push.stdout, registry.push.stdout
    assert tree_bytes(httpd.root) == pushed
    fingerprint = subprocess.run([SSH_KEYGEN, "-l", "-f", f"{sshd.key}.pub"], capture_output=True, text=True, check=True).stdout.split()[1]
    assert f"Accepted publickey for {sshd.user} from 127.0.0.1" in sshd.log.read_text() and fingerprint in sshd.log.read_text()

    clone = registry.clone("consumer")
    assert clone.run("dvc", "remote", "default").stdout.strip() == "public"  # config.local is not cloned
    requests_before = httpd.log.read_text().count('"GET /files/md5/')
    start = time.perf_counter()
    # The consumer's command: dvc pull of the atomic stages, then verify of the atomic manifests.
    pulled = clone.run("synthbank", "pull", "atomic")
    registry.figures.update(pull_s=time.perf_counter() - start,
                            pull_bytes=sum(len(b) for b in cache_objects(clone.path).values()))
    print(f"remotes: {registry.figures}")
    assert "10 files fetched" in pulled.stderr and "A       data/atomic/" in pulled.stderr, pulled.stderr
    assert httpd.log.read_text().count('"GET /files/md5/') - requests_before >= 10  # over HTTP
    assert pulled.stdout.splitlines()[0].startswith("OK manifests/atomic.json: 8 files"), pulled.stdout
    assert pulled.stdout.splitlines()[1].startswith("OK manifests/atomic.reports.json: 3 files"), pulled.stdout
    for out in ("data/atomic", "reports/atomic"):
        assert tree_bytes(clone.path / out) == tree_bytes(project.path / out), out
    assert cache_objects(clone.path) == pushed


def test_pull_of_a_family_without_stages_is_refused(registry: Registry) -> None:
    clone = registry.clone("wrong-family")
    proc = clone.run("synthbank", "pull", "energy", check=False)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["synthbank: error: family 'energy' has no stage in dvc.lock: allowed atomic"], proc.stderr
    assert not (clone.path / "data" / "atomic").exists()  # nothing fetched


def test_the_http_remote_refuses_a_push(registry: Registry, httpd: HTTPServer) -> None:
    clone = registry.clone("would-be-pusher")
    (clone.path / "notes.txt").write_text("not for the public remote\n")
    clone.run("dvc", "add", "-q", "notes.txt")
    md5 = hashlib.md5(b"not for the public remote\n").hexdigest()
    before = tree_bytes(httpd.root)
    push = clone.run("dvc", "push", "notes.txt", check=False)
    assert push.returncode == 1
    lines = push.stderr.splitlines()
    assert (f"ERROR: failed to transfer '{md5}' - 501, message=\"Unsupported method ('POST')\", "
            f"url='{httpd.url}/files/md5/{md5[:2]}/{md5[2:]}'") in lines, push.stderr
    assert "ERROR: failed to push data to the cloud - 1 files failed to upload" in lines, push.stderr
    assert tree_bytes(httpd.root) == before


def test_a_corrupt_object_on_the_remote_never_reaches_the_workspace_silently(registry: Registry) -> None:
    project = registry.project
    md5 = hashlib.md5((project.path / VICTIM).read_bytes()).hexdigest()
    listing = dir_md5(project.path, "data/atomic")
    obj = registry.object(md5)
    original, mode = obj.read_bytes(), obj.stat().st_mode
    corrupt = bytearray(original)
    corrupt[len(corrupt) // 2] ^= 0xFF
    obj.chmod(0o644)
    obj.write_bytes(bytes(corrupt))
    try:
        # The consumer path: synthbank pull names the file, exit 1, nothing of data/atomic installed.
        # (Its dvc pull also fails for the other families' stages, which have no lock entry in this
        # atomic-only project: DVC's message names them; synthbank names the files of lock entries.)
        clone = registry.clone("consumer-corrupt")
        consumer = clone.run("synthbank", "pull", check=False)
        assert consumer.returncode == 1, consumer
        assert consumer.stdout.splitlines() == [
            f"REMOTE {VICTIM}: corrupt in remote public: object files/md5/{md5[:2]}/{md5[2:]} does not match its md5 "
            "(DVC refused it: that is its 'Is your cache up to date?'); delete "
            f"files/md5/{md5[:2]}/{md5[2:]} and files/md5/{listing[:2]}/{listing[2:]} from the remote, then dvc push "
            "from a checkout where synthbank verify passes (or dvc repro there first), then pull again"
        ]
        assert consumer.stderr.splitlines()[-1] == (
            "synthbank: error: dvc pull could not fetch 1 file(s) intact from the remote; nothing else was verified")
        assert not (clone.path / "data/atomic").exists()
        assert not (clone.path / ".dvc/cache/files/md5" / md5[:2] / md5[2:]).exists()

        # dvc pull alone, with the committed `verify = true`: refused, naming the directory.
        plain = registry.clone("dvc-pull-corrupt")
        pulled = plain.run("dvc", "pull", *ATOMIC_STAGES, check=False)
        assert pulled.returncode == 1
        assert "ERROR: failed to pull data from the cloud - Checkout failed for following targets:\ndata/atomic\n" \
               "Is your cache up to date?" in pulled.stderr, pulled.stderr
        assert not (plain.path / "data/atomic").exists()

        # A consumer who turned verify off gets the corrupt file from DVC (exit 0); verify names it.
        lax = registry.clone("no-verify-corrupt")
        lax.run("dvc", "remote", "modify", "--local", "public", "verify", "false")
        assert lax.run("dvc", "pull", *ATOMIC_STAGES).returncode == 0  # DVC's blind spot
        assert (lax.path / VICTIM).read_bytes() == bytes(corrupt)
        verify = lax.run("synthbank", "verify", "manifests/atomic.json", check=False)
        assert verify.returncode == 1
        assert [line.split(" is ")[0] for line in verify.stdout.splitlines()] == [
            f"MISMATCH {VICTIM}: crc64", f"MISMATCH {VICTIM}: sha256"], verify.stdout
        assert verify.stderr.strip() == "synthbank: error: verify found 2 problem(s) in 1 manifest(s)"
    finally:
        obj.write_bytes(original)
        obj.chmod(mode)


def test_ssh_with_a_key_the_server_does_not_know_is_refused(registry: Registry, sshd: SSHServer, base: Path) -> None:
    project, target = registry.project, base / "intruder-storage"
    project.run("dvc", "remote", "add", "--local", "intruder", f"ssh://127.0.0.1{target}")
    try:
        for option, value in (("port", sshd.port), ("user", sshd.user), ("keyfile", sshd.wrong_key)):
            project.run("dvc", "remote", "modify", "--local", "intruder", option, str(value))
        log_before = len(sshd.log.read_text())
        push = project.run("dvc", "push", "-r", "intruder", check=False)
    finally:
        project.run("dvc", "remote", "remove", "--local", "intruder", check=False)
    assert push.returncode == 255, push
    assert push.stderr.splitlines()[0] == (f"ERROR: unexpected error - Permission denied for user {sshd.user} on host "
                                           f"127.0.0.1: Permission denied for user {sshd.user} on host 127.0.0.1"), push.stderr
    assert not target.exists()
    log = sshd.log.read_text()[log_before:]
    assert f"Connection closed by authenticating user {sshd.user} 127.0.0.1" in log and "Accepted" not in log, log


def test_dvc_ssh_does_not_check_the_server_host_key(registry: Registry, sshd: SSHServer, base: Path) -> None:
    """dvc-ssh 4.3.0 connects whatever host key the server shows (sshfs passes asyncssh
    ``known_hosts=None``, and DVC's config has no option for it), where OpenSSH refuses:
    docs/remotes.md says so. When an upgrade starts checking, this test fails: update the doc."""
    known_hosts = registry.home / ".ssh" / "known_hosts"
    impostor = keygen(base / "other_host_key")
    known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {public_key(impostor)}\n")  # not the server's key
    try:
        ssh = subprocess.run(
            ["ssh", "-F", "/dev/null", "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
             "-o", "BatchMode=yes", "-i", sshd.key, "-p", str(sshd.port), f"{sshd.user}@127.0.0.1", "true"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
        log_before = len(sshd.log.read_text())
        push = registry.project.run("dvc", "push", "-r", "maintainer")
    finally:
        known_hosts.unlink()
    assert ssh.returncode == 255 and "Host key verification failed." in ssh.stderr, ssh
    assert push.stdout.strip() == "Everything is up to date."
    assert f"Accepted publickey for {sshd.user} from 127.0.0.1" in sshd.log.read_text()[log_before:]


def test_through_an_openssh_tunnel_the_host_key_is_checked(registry: Registry, sshd: SSHServer, base: Path) -> None:
    """The way around the test above (docs/remotes.md): OpenSSH's ``ssh -L`` checks the host
    key against a known_hosts file (an impostor's key: no tunnel), and dvc-ssh connects
    through the forwarded port."""
    def tunnel_cmd(host_key: Path, local_port: int) -> list[str | Path]:
        known_hosts = base / f"known_hosts_{host_key.name}"
        known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {public_key(host_key)}\n")
        return ["ssh", "-N", "-F", "/dev/null", "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-i", sshd.key, "-p", str(sshd.port),
                "-L", f"127.0.0.1:{local_port}:127.0.0.1:{sshd.port}", f"{sshd.user}@127.0.0.1"]

    refused = subprocess.run(tunnel_cmd(keygen(base / "impostor_host_key"), free_port()), capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=60)
    assert refused.returncode == 255 and "Host key verification failed." in refused.stderr, refused
    local_port, log = free_port(), base / "tunnel.log"
    with log.open("wb") as err:
        tunnel = subprocess.Popen(tunnel_cmd(sshd.host_key, local_port), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    project = registry.project
    try:
        project.run("dvc", "remote", "add", "--local", "maintainer-tunnel", f"ssh://127.0.0.1{registry.remote}")
        deadline = time.monotonic() + START_TIMEOUT
        while tunnel.poll() is None and time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", local_port)) == 0:
                    break
            time.sleep(0.05)
        assert tunnel.poll() is None, f"the tunnel exited with {tunnel.returncode}: {log.read_text()}"
        for option, value in (("port", local_port), ("user", sshd.user), ("keyfile", sshd.key)):
            project.run("dvc", "remote", "modify", "--local", "maintainer-tunnel", option, str(value))
        log_before = len(sshd.log.read_text())
        push = project.run("dvc", "push", "-r", "maintainer-tunnel")
    finally:
        project.run("dvc", "remote", "remove", "--local", "maintainer-tunnel", check=False)
        stop(tunnel)
    assert push.stdout.strip() == "Everything is up to date."
    assert sshd.log.read_text()[log_before:].count(f"Accepted publickey for {sshd.user} from 127.0.0.1") == 1  # dvc's, inside the tunnel
