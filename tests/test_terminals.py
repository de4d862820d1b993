"""Servers and second terminals: a step starts a server, a second terminal calls it."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Callable, Iterator

import pytest

from conftest import Guide, assert_replayed, only_runbook
from helpers import command, page
from runbook.reading.pages import PageReading

pytestmark = pytest.mark.replay

Read = Callable[..., PageReading]
SECOND = "Execute the following command(s) in a second terminal"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def second(code: str, directive: str | None = None) -> str:
    """A block of the second terminal, as the guide titles it."""
    return command(code, title=SECOND, directive=directive)


def serve(port: int, directive: str = "") -> str:
    ready = f'background ready="http://127.0.0.1:{port}/" {directive}'.strip()
    return command(f"python3 -m http.server {port} --bind 127.0.0.1", directive=ready)


def running(pattern: str) -> list[str]:
    found = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True, check=False)
    return found.stdout.splitlines()


@pytest.fixture(params=["from-a-terminal", "with-ctrl-c-ignored"])
def started(request: pytest.FixtureRequest) -> Iterator[None]:
    """Where the replay starts: as from a terminal, or with Ctrl+C (SIGINT) ignored, as after
    `&` in a script; its children inherit that."""
    if request.param == "from-a-terminal":
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("started")
def test_a_server_answers_a_second_terminal_and_is_stopped_with_ctrl_c(
    guide: Callable[..., Guide],
) -> None:
    """The page goes on once the server answers; the second terminal fetches from it and its
    output is checked; the server is stopped with Ctrl+C, and its output is in the report,
    wherever the replay started: a reader's steps run in a terminal, where Ctrl+C works."""
    port = free_port()
    replayed = guide(
        {
            "page.md": page(
                command("mkdir site && echo hello > site/index.html && cd site"),
                serve(port),
                second(f"curl -s http://127.0.0.1:{port}/index.html"),
                "The output should be similar to this:",
                "```text\nhello\n```",
                command("echo back in the first terminal"),
            )
        }
    ).replay("page.md")
    assert_replayed(replayed)
    (server,) = replayed.result.servers
    assert server.location == replayed.result.steps[1].location
    assert server.status == 0  # Python's server ends well on Ctrl+C
    assert "Keyboard interrupt received" in server.output
    assert "GET /index.html" in server.output
    assert running(f"http.server {port}") == []
    assert f"server of {server.location} (exit status 0)" in replayed.report()


def test_a_second_terminal_keeps_its_own_folder_and_variables(
    guide: Callable[..., Guide],
) -> None:
    """A second terminal opens where the page's first command ran, with the environment the page
    started with, not the first terminal's; then keeps its own folder and variables."""
    text = page(
        command("mkdir -p one two && cd one\nexport FIRST=1\nonly_here=1"),
        command("sleep 311.5", directive="background"),
        second('pwd\necho "${FIRST-unset} ${only_here-unset}"\ncd two\nexport SECOND=2'),
        second('pwd\necho "$SECOND"'),
        command('pwd\necho "${SECOND-unset}"'),
    )
    replayed = guide({"page.md": text}).replay("page.md")
    assert_replayed(replayed)
    project = replayed.sandbox.workdir
    printed = [run.printed for run in replayed.result.steps]
    assert printed[2:] == [
        f"{project}\nunset unset\n",
        f"{project / 'two'}\n2\n",
        f"{project / 'one'}\nunset\n",
    ]


@pytest.mark.parametrize("early", ["exit 0", "return"])
def test_a_second_terminals_step_that_ends_early_fails(
    guide: Callable[..., Guide], early: str
) -> None:
    """A second terminal's block that ends before its last line (`exit 0`, `return`) did not
    run whole: it fails, as such a block in the first terminal does."""
    text = page(
        command("sleep 312.5", directive="background"),
        second(f"echo one\n{early}\ntouch never"),
    )
    replayed = guide({"page.md": text}).replay("page.md")
    assert not replayed.ok
    assert replayed.result.failed == replayed.result.steps[1].location
    assert "ended before its last line" in replayed.report()
    assert not (replayed.sandbox.workdir / "never").exists()


def test_a_second_terminals_failure_names_its_line(guide: Callable[..., Guide]) -> None:
    """A second terminal's step that fails fails the replay, at its line."""
    text = page(command("sleep 312.5", directive="background"), second("true\nfalse\ntouch x"))
    replayed = guide({"page.md": text}).replay("page.md")
    assert not replayed.ok
    assert replayed.result.steps[1].outcome == "failed"
    assert "runbook: step page.md:8 failed at line 10 with exit status 1" in replayed.report()
    assert not list(replayed.sandbox.root.rglob("x"))


def test_a_server_that_exits_fails_with_its_output(guide: Callable[..., Guide]) -> None:
    """A server that exits before it answers fails its step, which shows what it printed."""
    code = "python3 -c 'import sys; print(\"port taken\", file=sys.stderr); sys.exit(3)'"
    replayed = guide(
        {"page.md": page(command(code, directive='background ready="127.0.0.1:9"'))}
    ).replay("page.md")
    assert not replayed.ok
    assert replayed.result.steps[0].outcome == "failed"
    printed = replayed.result.steps[0].printed
    assert "exited with status 3 before it answered" in printed
    assert "port taken" in printed


def test_a_server_that_fails_after_it_started_fails_the_replay(
    guide: Callable[..., Guide],
) -> None:
    """A server that ran, then exited with an error before it was stopped, fails the replay,
    though its step went on and the steps after it passed: a reader sees it die."""
    code = "sleep 1.5; echo broken >&2; exit 3"
    replayed = guide(
        {"page.md": page(command(code, directive="background"), second("sleep 2"))}
    ).replay("page.md")
    assert not replayed.ok
    report = replayed.report()
    assert report.startswith("page.md: the script did not finish (exit status 3)")
    assert "server of page.md:4 (exit status 3), its output:\n    broken" in report


def test_a_server_that_never_answers_fails_within_its_timeout(
    guide: Callable[..., Guide],
) -> None:
    """A server that runs but does not answer fails its step after the step's timeout, and is
    stopped."""
    port = free_port()
    replayed = guide(
        {
            "page.md": page(
                command(
                    "echo starting; sleep 309.5",
                    directive=f'background ready="127.0.0.1:{port}" timeout=2',
                )
            )
        }
    ).replay("page.md")
    assert not replayed.ok
    printed = replayed.result.steps[0].printed
    assert f"did not answer at 127.0.0.1:{port} within 2 s" in printed
    assert "starting" in printed
    assert running("sleep 309.5") == []


@pytest.mark.parametrize(
    ("parts", "line", "message"),
    [
        pytest.param(
            [command("bentoml serve"), second("curl http://127.0.0.1:3000/")],
            3,
            "mark it background",
            id="a-server-not-marked",
        ),
        pytest.param(
            [command("true", directive='ready="127.0.0.1:1"')],
            3,
            "ready goes with background",
            id="ready-alone",
        ),
        pytest.param(
            [command("true"), second("serve", directive="background")],
            7,
            "background starts a server in the first terminal",
            id="background-in-a-second-terminal",
        ),
        pytest.param(
            [command("true"), second("ls", directive='dir="x"')],
            7,
            "a second terminal keeps its own folder",
            id="dir-in-a-second-terminal",
        ),
        pytest.param(
            [command("serve", directive='background ready="http://example.com/"')],
            3,
            "ready takes a loopback address",
            id="ready-elsewhere",
        ),
        pytest.param(
            [command("serve", directive='background ready="127.0.0.1"')],
            3,
            "ready takes a loopback address",
            id="ready-without-a-port",
        ),
    ],
)
def test_servers_and_terminals_that_cannot_run(
    read: Read, parts: list[str], line: int, message: str
) -> None:
    """What would leave a second terminal's steps unrun, or a server unwatched, is an error."""
    errors = read(page(*parts), "p.md").errors
    assert [(error.path, error.line) for error in errors] == [("p.md", line)]
    assert message in errors[0].message


def test_ready_takes_a_url_or_a_host_and_port(read: Read) -> None:
    """A server is ready when an HTTP address answers, or when a loopback port takes a
    connection."""
    runbook = only_runbook(
        read(
            page(
                command("a", directive='background ready="http://localhost:8000/docs"'),
                command("b", directive='background ready="127.0.0.1:8000"'),
                command("c", directive="background"),
            )
        )
    )
    assert [(s.background, s.ready) for s in runbook.steps] == [
        (True, "http://localhost:8000/docs"),
        (True, "127.0.0.1:8000"),
        (True, None),
    ]
