"""The command line as a whole: help, unknown commands, and a reader that goes away."""

from __future__ import annotations

import subprocess
import sys

from autograd.cli import main


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_demo_prints_the_gate_example(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "dy/dx1 = 2" in out and "dy/dx2 = 100" in out and "dy/dx3 = 1" in out


def test_every_command_is_listed():
    result = subprocess.run(
        [sys.executable, "-m", "autograd", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("demo", "train", "evaluate", "graph"):
        assert command in result.stdout


def test_a_closed_pipe_ends_quietly():
    # like `python -m autograd demo | head -1` on a command with a long output
    script = (
        "import sys\n"
        "import autograd.cli.demo\n"
        "from autograd.cli import main\n"
        "autograd.cli.demo.gate_demo = lambda: [('x', 1.0, 1.0)] * 200_000\n"
        "sys.exit(main(['demo']))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=30) == 141, stderr[-2000:]
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
