"""Settings as an operator gives them: a typo is an error naming the setting meant, secrets
never show, and secrets can come from files (a secret manager's mount)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from quitus.exit_codes import ExitCode
from quitus.settings import SettingsError, load_settings
from tests.cli_runner import run_quitus

KEK = base64.b64encode(b"\x07" * 32).decode()


@pytest.mark.parametrize(
    ("variable", "meant"),
    [
        ("QUITUS_SMTP_HOTS", "QUITUS_SMTP_HOST"),
        ("QUITUS_KEK_FLE", "QUITUS_KEK_FILE"),
        ("QUITUS_SECRET_DIR", "QUITUS_SECRETS_DIR"),
        ("QUITUS_PUBLIC_ULR", "QUITUS_PUBLIC_URL"),
    ],
)
def test_an_unknown_variable_names_the_closest_setting(variable: str, meant: str) -> None:
    with pytest.raises(SettingsError, match=rf"{variable}: no such setting \(did you mean {meant}\?\)"):
        load_settings({variable: "x"})


def test_the_test_suites_variables_are_not_settings_and_accepted() -> None:
    settings = load_settings(
        {"QUITUS_TEST_POSTGRES_URL": "postgresql://x", "QUITUS_TEST_ANYTHING": "1", "QUITUS_DEBUG": "1"}
    )
    assert settings.smtp_host is None


def test_an_unknown_variable_exits_2_from_the_command_line(tmp_path: Path) -> None:
    result = run_quitus_env(tmp_path, "reports", "list", QUITUS_SMTP_PASWORD="secret")
    assert result.returncode == ExitCode.USAGE
    assert "QUITUS_SMTP_PASWORD: no such setting (did you mean QUITUS_SMTP_PASSWORD?)" in result.stderr
    assert "secret" not in result.stderr.replace("QUITUS_SECRETS", "")


def run_quitus_env(home: Path, *args: str, **extra: str):  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    env = {**os.environ, "QUITUS_HOME": str(home), "NO_COLOR": "1", **extra}
    for name in list(env):
        if name.startswith("PREFECT_") or name == "QUITUS_DATABASE_URL":
            env.pop(name)
    return subprocess.run(
        [sys.executable, "-m", "quitus", *args], env=env, capture_output=True, text=True, check=False
    )


def test_secrets_are_never_printed() -> None:
    settings = load_settings({"QUITUS_KEK": KEK, "QUITUS_SMTP_PASSWORD": "hunter2-p@ss"})
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())):
        assert KEK not in shown and "hunter2" not in shown
    assert settings.kek_override == KEK
    assert settings.smtp_password is not None and settings.smtp_password.get_secret_value() == "hunter2-p@ss"


def test_a_secret_from_its_file(tmp_path: Path) -> None:
    kek_file = tmp_path / "kek"
    kek_file.write_text(KEK + "\n", encoding="ascii")  # as `echo … > file` writes it
    assert load_settings({"QUITUS_KEK_FILE": str(kek_file)}).kek_override == KEK
    with pytest.raises(SettingsError, match="QUITUS_KEK and QUITUS_KEK_FILE are both set"):
        load_settings({"QUITUS_KEK_FILE": str(kek_file), "QUITUS_KEK": KEK})
    with pytest.raises(SettingsError, match=f"QUITUS_KEK_FILE: cannot read {tmp_path}/missing"):
        load_settings({"QUITUS_KEK_FILE": str(tmp_path / "missing")})


def test_settings_from_a_secrets_folder(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "QUITUS_SMTP_PASSWORD").write_text("from-the-folder\n", encoding="utf-8")
    (folder / "quitus_smtp_host").write_text("smtp.example.fr", encoding="utf-8")
    (folder / "postgres_password").write_text("another program's", encoding="utf-8")  # not ours
    settings = load_settings({"QUITUS_SECRETS_DIR": str(folder)})
    assert settings.smtp_host == "smtp.example.fr"
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "from-the-folder"
    env_wins = load_settings({"QUITUS_SECRETS_DIR": str(folder), "QUITUS_SMTP_HOST": "mx.example.fr"})
    assert env_wins.smtp_host == "mx.example.fr"
    (folder / "QUITUS_SMTP_HOTS").write_text("typo", encoding="utf-8")
    with pytest.raises(
        SettingsError, match="QUITUS_SMTP_HOTS: no such setting \\(did you mean QUITUS_SMTP_HOST"
    ):
        load_settings({"QUITUS_SECRETS_DIR": str(folder)})
    with pytest.raises(SettingsError, match=r"QUITUS_SECRETS_DIR: .* is not a folder"):
        load_settings({"QUITUS_SECRETS_DIR": str(tmp_path / "none")})


def test_a_kek_from_a_file_opens_the_home(tmp_path: Path) -> None:
    """End to end: the key-encryption key moved out of the key folder into a secret manager's
    file is read from QUITUS_KEK_FILE, and never printed."""
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    kek_path = tmp_path / "home-keys" / "kek.key"
    kek = kek_path.read_text(encoding="ascii").strip()
    mounted = tmp_path / "run-secrets-kek"
    mounted.write_text(kek + "\n", encoding="ascii")
    kek_path.unlink()
    assert run_quitus(home, "reports", "list").returncode == ExitCode.USAGE  # no key: refused
    listed = run_quitus_env(home, "reports", "list", "--json", QUITUS_KEK_FILE=str(mounted))
    assert listed.returncode == 0, listed.stderr
    assert kek not in listed.stdout + listed.stderr
