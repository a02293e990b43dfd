"""No Docker engine runs here, so the compose file is checked as data."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_all_services_with_health_checks():
    services = load()["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, name
        assert service.get("restart") == "unless-stopped", name


def test_commands_run_gunicorn_and_celery():
    services = load()["services"]
    assert "gunicorn config.wsgi:application" in services["web"]["command"]
    assert "migrate" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")


def test_app_services_share_env_volume_and_wait_for_healthy_db_and_redis():
    services = load()["services"]
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert service["env_file"] == ".env"
        assert "files:/data" in service["volumes"]
        assert service["environment"]["CAIJI_DATA_DIR"] == "/data"
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "files" in load()["volumes"]


def test_env_example_wires_every_production_variable():
    env = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for key in (
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "POSTGRES_PASSWORD",
    ):
        assert key in env, key
    assert env["DEBUG"] == "0"
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    db = load()["services"]["db"]["environment"]
    assert db["POSTGRES_DB"] in env["DATABASE_URL"] and db["POSTGRES_USER"] in env["DATABASE_URL"]


def test_dockerfile_installs_from_the_lock_and_serves_with_gunicorn():
    text = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen" in text
    assert "collectstatic" in text
    assert "gunicorn" in text


def test_the_client_address_is_read_behind_the_one_tls_proxy():
    """Finding 5 of issue 12: with CAIJI_PROXY_COUNT at 0 behind the TLS proxy, every sign-in
    seems to come from the proxy's address, so the whole college shares one address."""
    env = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["SECURE_PROXY_SSL_HEADER"] == "1"  # the deployment assumes the TLS proxy ...
    assert env["CAIJI_PROXY_COUNT"] == "1"  # ... and exactly one
    for name in ("web", "worker", "beat"):
        environment = load()["services"][name]["environment"]
        assert environment["CAIJI_PROXY_COUNT"] == "${CAIJI_PROXY_COUNT:-1}"  # an older .env too
