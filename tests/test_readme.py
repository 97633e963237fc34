"""The README: its examples run, and its two set-up commands are what CI runs."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def setup_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_block, "the README must open with a bash block of set-up commands"
    assert text.index("```bash") < text.index("\n## "), "set-up commands come first"
    return [line for line in first_block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_setup_commands():
    install_and_run, install_and_test = setup_commands()
    assert "pip install" in install_and_run and "python -m autograd" in install_and_run
    assert 'pip install -e ".[test]"' in install_and_test and "pytest" in install_and_test


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # .ci/run takes the command from the README itself; check its pattern finds the same line
    assert "README.md" in ci
    lines = [line for line in README.read_text(encoding="utf-8").splitlines() if "pytest" in line]
    chosen = next(line for line in lines if "venv" in line)
    assert chosen == setup_commands()[1]


def test_readme_examples_run():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks):
        test = parser.get_doctest(block, namespace, f"README block {number}", str(README), 0)
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 5
    assert result.failed == 0
