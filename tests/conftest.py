"""Shared pytest set-up: offline defaults and the fixtures many folders need.

- ``hub``: a hub process for the module; the module names its apps and mode with a marker,
  ``pytestmark = pytest.mark.hub(["notes"])`` (``pytest.mark.hub("all", hardened=False)``);
  without one it serves every app, hardened. ``hub_endpoints`` is the same hub as the data and
  synthesis code take it.
- ``browser``: a headless Chromium launched with the project's flags (``cuagym.browser``).
- ``sandbox``: tests that run tuple scripts request it; it fails with the reason when the
  sandbox cannot run, it never skips.
- ``tiny_policy_dir`` / ``shared_tiny_policy``: one tiny random-weight policy per session.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


import pytest  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "hub(apps='all', hardened=True): the apps and mode of the module's `hub` "
                                       "fixture (set on the module: pytestmark = pytest.mark.hub([...]))")


def pytest_collection_modifyitems(config, items):
    # The hub is module-scoped: a hub marker on a class or a test would be silently ignored.
    for item in items:
        module = item.getparent(pytest.Module)
        if item.get_closest_marker("hub") is not (module.get_closest_marker("hub") if module else None):
            raise pytest.UsageError(f"{item.nodeid}: set the hub marker on the module (pytestmark), "
                                    "the `hub` fixture is shared by the module's tests")


@pytest.fixture(scope="session")
def tiny_policy_dir(tmp_path_factory):
    """A tiny random-weight Qwen3.5-MoE policy, built offline once per test session."""
    from cuagym.modeling.tiny import build_tiny_policy

    out = tmp_path_factory.mktemp("tiny_policy_shared")
    build_tiny_policy(out, seed=0, image_size=(256, 160))
    return out


@pytest.fixture(scope="session")
def shared_tiny_policy(tiny_policy_dir):
    from cuagym.modeling import load_policy

    return load_policy(tiny_policy_dir, dtype="float32", attn_implementation="sdpa")


@pytest.fixture(scope="session")
def sandbox():
    """Tests that run tuple scripts need bubblewrap. tests/run.sh installs it, so a machine without
    it fails these tests with the reason instead of skipping them."""
    from cuagym.data.sandbox import sandbox_available

    problem = sandbox_available()
    if problem:
        pytest.fail(f"tuple scripts run only in the sandbox: {problem} (tests/run.sh installs it)")


@pytest.fixture(scope="module")
def hub(request):
    """A running hub (``HubProcess``) for this module's tests, configured by the module's ``hub`` marker."""
    from cuagym.hub.launcher import HubProcess

    mark = request.node.get_closest_marker("hub")
    args, kwargs = (mark.args, mark.kwargs) if mark else ((), {})
    with HubProcess(*args, **kwargs) as h:
        yield h


@pytest.fixture(scope="module")
def hub_endpoints(hub):
    """The module's hub as the validator, the sandbox runner and the synthesis pipeline take it."""
    from cuagym.data.validate import HubEndpoints

    return HubEndpoints(hub.urls, hub.admin_token)


# Module scope, not session: a sync Playwright that outlives a module would hold the thread's
# event loop and make every later in-process sync_playwright() (rollout, validator) fail. For
# the same reason a module whose code under test starts its own sync_playwright() in this
# process cannot use these fixtures.
@pytest.fixture(scope="module")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance):
    """A headless Chromium with the project's launch flags, shared by the module."""
    from cuagym.browser import launch_kwargs

    b = playwright_instance.chromium.launch(**launch_kwargs())
    yield b
    b.close()
