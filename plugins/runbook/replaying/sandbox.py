"""A sealed place to replay a page: own HOME, no outside git configuration, no network.

The sandbox keeps the machine safe and the result reproducible. Its environment is built from
nothing: global and system git configuration are shut out, identity and dates are fixed, no
prompt, editor or pager can wait for input, and git reaches only local paths and the loopback
bases it is given; any other URL fails at once with a message that says the sandbox blocked it.

A sandbox lives in one folder, `root`: `home/`, the `project/` where a page's first command
runs, `remotes/` for the bare repositories the replay serves, and `.runbook/` for the sandbox's
own files. Everything a page leaves there can be kept and replayed on from, by a later page.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

IDENTITY = {"name": "Runbook Reader", "email": "reader@example.invalid"}
DATE = "2026-01-01T12:00:00+00:00"
BLOCKED = "runbook sandbox: network access blocked"

# Stand-ins for every transport that would leave this machine: git runs them instead.
_BLOCKERS = {
    # A remote helper: git calls it with the remote's name and its URL.
    "git-remote-blocked": 'where="$2"',
    # The ssh command: git calls it with options, [user@]host and the command to run there.
    "runbook-blocked-ssh": 'where="ssh $*"',
}
# What programs that open a browser run instead (`BROWSER`): no person is there to look.
_NO_BROWSER = r"""#!/bin/sh
printf '%s\n' "runbook sandbox: no browser opens $*: a step that needs a person to look fails; \
mark it skip=\"why\" (or set BROWSER under env:)" >&2
exit 1
"""
_BLOCKER = f"""#!/bin/sh
%s
echo "{BLOCKED}: $where is not on this machine; a replay reaches only local paths \
and the loopback test server" >&2
exit 128
"""
_PROXIES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")


def system_path() -> str:
    """The caller's PATH without the folders a replay must not write through.

    A virtualenv's, the real HOME's (pyenv, ~/.local) and the current folder's programs would
    install into them: `pip install` in a replayed page must not touch the caller's Python.
    """
    kept_out = [Path.home(), Path.cwd()]
    if sys.prefix != sys.base_prefix:
        kept_out.append(Path(sys.prefix))
    if os.environ.get("VIRTUAL_ENV"):
        kept_out.append(Path(os.environ["VIRTUAL_ENV"]))
    folders = []
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = Path(folder).resolve() if folder else Path.cwd()
        if not any(path == out or out in path.parents for out in kept_out):
            folders.append(folder)
    return os.pathsep.join(dict.fromkeys([*folders, "/usr/local/bin", "/usr/bin", "/bin"]))


@dataclass(frozen=True)
class Sandbox:
    """A throw-away place to replay a page: HOME, the starting directory, and the environment."""

    root: Path
    home: Path
    workdir: Path
    env: dict[str, str]

    @property
    def remotes(self) -> Path:
        return self.root / "remotes"

    @property
    def own(self) -> Path:
        """The sandbox's own files, which no page writes: rules for git, kept shell state."""
        return self.root / ".runbook"


def make_sandbox(
    root: Path,
    loopback: Sequence[str] = (),
    moved: Sequence[tuple[str, str]] = (),
    extra: Mapping[str, str] | None = None,
    tools: Sequence[str] = (),
) -> Sandbox:
    """Make (or take over) the sandbox in `root`; git may reach local paths and `loopback`.

    `moved` maps loopback bases an earlier replay in this folder used to the ones served now:
    a remote a page added then is reached at its new address. `extra` adds to the environment
    (the stand-ins' variables, the site's `env:`); `tools` are programs of this machine outside
    the system's folders that the sandbox may run (raises SandboxError for one not found).
    """
    home, bin_dir, tmp, own = (
        root / "home",
        root / ".runbook" / "bin",
        root / "tmp",
        root / ".runbook",
    )
    for folder in (home, bin_dir, tmp, root / "project", root / "remotes"):
        folder.mkdir(parents=True, exist_ok=True)
    for name, where in _BLOCKERS.items():
        (bin_dir / name).write_text(_BLOCKER % where, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    (bin_dir / "runbook-no-browser").write_text(_NO_BROWSER, encoding="utf-8")
    (bin_dir / "runbook-no-browser").chmod(0o755)
    system = system_path()
    _link_tools(bin_dir, tools, system)
    rules = [
        f'[url "blocked::{scheme}://"]\n\tinsteadOf = {scheme}://\n'
        for scheme in ("https", "http", "git", "ssh", "ftp", "ftps")
    ]
    # The longest matching prefix wins, so these loopback bases map to themselves.
    rules += [f'[url "{base}"]\n\tinsteadOf = {base}\n' for base in loopback]
    rules += [f'[url "{new}"]\n\tinsteadOf = {old}\n' for old, new in moved]
    (own / "gitconfig").write_text(
        f"[user]\n\tname = {IDENTITY['name']}\n\temail = {IDENTITY['email']}\n"
        "[advice]\n\tdetachedHead = false\n" + "".join(rules),
        encoding="utf-8",
    )
    # The reader's own file, which a page's `git config --global` writes to, takes the rules in.
    gitconfig = home / ".gitconfig"
    if not gitconfig.exists():
        gitconfig.write_text(f"[include]\n\tpath = {own / 'gitconfig'}\n", encoding="utf-8")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{system}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_AUTHOR_NAME": IDENTITY["name"],
        "GIT_AUTHOR_EMAIL": IDENTITY["email"],
        "GIT_COMMITTER_NAME": IDENTITY["name"],
        "GIT_COMMITTER_EMAIL": IDENTITY["email"],
        "GIT_AUTHOR_DATE": DATE,
        "GIT_COMMITTER_DATE": DATE,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "false",
        "GIT_EDITOR": "true",
        "GIT_SEQUENCE_EDITOR": "true",
        "EDITOR": "true",
        "VISUAL": "true",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "GIT_SSH_COMMAND": str(bin_dir / "runbook-blocked-ssh"),
        "GIT_ALLOW_PROTOCOL": "file:http:ssh:blocked",
        # Anything else that honours proxies meets a closed loopback port instead of the world,
        # unless a replay's download stand-in takes their place (`extra`).
        **dict.fromkeys(_PROXIES, "http://127.0.0.1:9"),
        "no_proxy": "127.0.0.1,localhost",
        "NO_PROXY": "127.0.0.1,localhost",
        # pip and uv read no configuration of this machine (its indexes, its folders of wheels),
        # and uv downloads no Python: what a page installs comes from the replay's stand-ins.
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "PIP_NO_INDEX": "1",
        "UV_NO_CONFIG": "1",
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "BROWSER": str(bin_dir / "runbook-no-browser"),
        "RUNBOOK_ROOT": str(root.resolve()),
        # No git command of a page looks for a repository above the sandbox.
        "GIT_CEILING_DIRECTORIES": str(root.resolve()),
    }
    if extra:
        if "PIP_INDEX_URL" in extra:  # a package index stands in: pip and uv use it
            del env["PIP_NO_INDEX"], env["UV_OFFLINE"]
        env.update(extra)
    return Sandbox(root, home, root / "project", env)


class SandboxError(Exception):
    """The sandbox cannot be made as the site asks: `str()` says why."""


def find_tool(name: str) -> str | None:
    """Where `name` is: on the PATH, or beside the running Python (an unactivated virtualenv)."""
    return shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))


def _link_tools(bin_dir: Path, tools: Sequence[str], system: str) -> None:
    """Link each tool, and a Python 3 if the system's folders have none, into the sandbox."""
    wanted = {name: find_tool(name) for name in tools}
    missing = [name for name, found in wanted.items() if found is None]
    if missing:
        raise SandboxError(
            f"tools: {', '.join(missing)} not found on this machine's PATH"
            f" nor in {sysconfig.get_path('scripts')}"
        )
    if shutil.which("python3", path=system) is None:
        # The machine's only Python lives where the sandbox does not look (pyenv, say).
        base = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
        wanted["python3"] = str(base)
        wanted[f"python3.{sys.version_info.minor}"] = str(base)
    for name, found in wanted.items():
        link = bin_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(str(found))
