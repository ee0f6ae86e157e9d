"""The OpenAPI schema tells the truth: schemathesis (every check) against a live server on loopback,
authenticated as the office, finds no server error and no answer the schema does not describe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import bearer
from tests.served import served

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("ASSETSVC_TEST_FUZZ_EXAMPLES", "25"))  # ~2 min on 2 cores
SEED = os.environ.get("ASSETSVC_TEST_FUZZ_SEED", "20261206")


@pytest.fixture
def server(people):
    """`assetsvc serve` on the test database, API only (no worker, no scheduler: nothing leaves loopback)."""
    with served() as base:
        yield base


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(server, people, tmp_path):
    # Logout and token revocation are left out: they would revoke the token the run authenticates
    # with (DELETE /tokens/1 is the coverage phase's first id, and the run's token is id 1: then 83
    # operations answered nothing but 401 and the run still passed). Both are tested in
    # test_account_lifecycle.py; the run must end still authenticated (asserted below).
    # schemathesis imports its ASGI transport (and with it anyio) lazily, at the first case, from
    # both worker threads at once; anyio's lazy importer parses its own source and is not thread
    # safe ("AST constructor recursion depth mismatch", then a half-made module). Importing it
    # before the workers start avoids the race. One worker, not two: CI on 2f8f83f saw one more
    # unclassified "Runtime Error" in the coverage phase with two worker threads, and could not
    # reproduce it; one worker takes the same ~30 s here and leaves no thread to race.
    # The province connection test is left out too: once a generated configuration is stored it would
    # send a request to the generated address (not loopback); test_console_gaps_api.py tests it
    # against the fake platform on 127.0.0.1.
    boot = "import schemathesis.transport.asgi, schemathesis.cli; schemathesis.cli.schemathesis()"
    command = [sys.executable, "-c", boot, "--config-file", str(CONFIG), "run",
               f"{server}/api/v1/schema/openapi.json", "--checks", "all",
               "-H", f"Authorization: {bearer(people.admin)['Authorization']}",
               "--exclude-path", "/api/v1/auth/logout", "--exclude-path", "/api/v1/tokens/{token_id}",
               "--exclude-path", "/api/v1/province/test", "--phases", "examples,coverage,fuzzing",
               "--max-examples", str(EXAMPLES), "--seed", SEED, "--workers", "1", "--no-color"]
    # Run in tmp_path: schemathesis keeps a cache folder (.schemathesis) in its working directory.
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    summary = result.stdout[result.stdout.find("= SUMMARY ="):]
    print(summary)  # cases generated, shown with pytest -s
    # The ERRORS section (a runtime error's traceback) comes before the long warning lists; show it
    # first, so a failure report cut to its tail still names the cause.
    errors = result.stdout.find("= ERRORS =")
    assert result.returncode == 0, (result.stdout[errors:errors + 8000] if errors >= 0 else "") + \
        result.stdout[-12000:] + result.stderr[-4000:]
    assert "Server error" not in summary
    still = httpx.get(f"{server}/api/v1/auth/me", headers=bearer(people.admin), timeout=10)
    assert still.status_code == 200, f"the run lost its token, so it tested refusals only: {still.text}"
