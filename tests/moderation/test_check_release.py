import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.i18n import made_from

REPO = Path(__file__).resolve().parents[2]
FINDING_KEYS = {
    "code",
    "category",
    "severity",
    "message",
    "field",
    "excerpt",
    "offset",
    "length",
    "suggestion",
    "target",
}
CLEAN = {"title": "市政府召开常务会议", "body_html": "<p>会议研究了有关工作。</p>"}
WARNS = {"title": "速看：市政府召开常务会议", "body_html": "<p>他己经到了。</p>"}
BLOCKS = {
    "title": "通知",
    "body_html": "<p>机密★一年</p>",
    "origin": "reprint",
    "targets": ["weibo", "douyin"],
    "images": [{"credit": "", "is_map": True}],
}


def run(*args):
    """Run the command in-process; return (exit status, stdout)."""
    out = StringIO()
    try:
        call_command("check_release", *args, stdout=out)
    except SystemExit as exit:
        return exit.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def write(tmp_path):
    def write(data, name="release.json"):
        path = tmp_path / name
        path.write_text(
            data if isinstance(data, str) else json.dumps(data, ensure_ascii=False),
            encoding="utf-8",
        )
        return str(path)

    return write


@pytest.mark.django_db
def test_clean_release_exits_0_with_an_empty_list(write):
    status, out = run(write(CLEAN))
    assert status == 0
    assert json.loads(out) == []


@pytest.mark.django_db
def test_warnings_only_exit_0(write):
    status, out = run(write(WARNS))
    findings = json.loads(out)
    assert status == 0
    assert {f["category"] for f in findings} == {"clickbait", "typo"}
    assert all(set(f) == FINDING_KEYS for f in findings)


@pytest.mark.django_db
def test_blocking_findings_exit_1(write):
    status, out = run(write(BLOCKS))
    findings = json.loads(out)
    assert status == 1
    assert {f["category"] for f in findings if f["severity"] == "block"} >= {
        "secrecy",
        "reprint_source",
        "image_credit",
        "map",
        "video",
    }
    douyin = next(f for f in findings if f["category"] == "video")
    assert douyin["target"] == "douyin"
    assert isinstance(douyin["offset"], int)


def test_default_lexicon_needs_no_database(write):
    status, out = run(write(WARNS), "--default-lexicon")
    assert status == 0 and json.loads(out)


def test_messages_in_english(write):
    status, out = run(write(BLOCKS), "--default-lexicon", "--language", "en")
    assert "Secrecy marking" in out


def test_input_that_is_not_json_exits_2_with_a_message(write):
    with pytest.raises(CommandError) as excinfo:
        run(write("{not json"), "--default-lexicon")
    assert excinfo.value.returncode == 2
    assert "is not JSON" in str(excinfo.value)


@pytest.mark.parametrize(
    "content, message, values",
    [
        (
            "[1, 2]",
            "The release must be a JSON object, not %(type)s.",
            {"type": "list"},
        ),
        (
            '{"title": "t", "targets": ["wechat"]}',
            "targets[%(index)d]: unknown platform %(value)s "
            "(expected one of: %(choices)s).",
            {"index": "0", "value": "'wechat'"},
        ),
        ('{"subtitle": "t"}', "%(key)s: required.", {"key": "title"}),
    ],
)
def test_unreadable_input_exits_2_with_a_message(write, content, message, values):
    """The command names the file and lists what is wrong, one error a line, in
    the language of the site (the default of --language)."""
    path = write(content)
    with pytest.raises(CommandError) as excinfo:
        run(path, "--default-lexicon")
    assert excinfo.value.returncode == 2
    first, *errors = str(excinfo.value).split("\n")
    assert path in first
    errors = [error.strip() for error in errors]
    assert any(made_from(error, message, **values) for error in errors), errors


def test_unreadable_input_message_in_english(write):
    with pytest.raises(CommandError) as excinfo:
        run(write('{"subtitle": "t"}'), "--default-lexicon", "--language", "en")
    assert excinfo.value.returncode == 2
    assert "title: required" in str(excinfo.value)


def test_reads_standard_input(monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO(json.dumps(WARNS, ensure_ascii=False)))
    status, out = run("-", "--default-lexicon")
    assert status == 0
    assert {f["category"] for f in json.loads(out)} == {"clickbait", "typo"}


def test_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as excinfo:
        run(str(tmp_path / "none.json"), "--default-lexicon")
    assert excinfo.value.returncode == 2
    assert "Cannot read" in str(excinfo.value)


def command(stdin, *args):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"}
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "manage.py", "check_release", "--default-lexicon", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )


def test_exit_codes_of_the_real_command_reading_stdin():
    """Run as a program: 0, 1 and 2, reading the release from standard input."""
    clean = command(json.dumps(CLEAN), "-")
    assert (clean.returncode, json.loads(clean.stdout)) == (0, [])
    blocked = command(json.dumps(BLOCKS, ensure_ascii=False), "-")
    assert blocked.returncode == 1
    assert any(f["severity"] == "block" for f in json.loads(blocked.stdout))
    broken = command("{", "-")
    assert broken.returncode == 2
    assert "<stdin> is not JSON" in broken.stderr
