#!/usr/bin/env python3
"""compose/docker-compose.yml against the repository, the installed programs and compose/README.md.

    compose_files.py SRC INSTALLED_BIN     checks; prints each finding and exits 1 on any
    compose_files.py SRC --logins          prints "SERVICE USER" for every service that logs in
                                           to PostgreSQL (VAKSIN_PG's user=), then "GROUP LOGIN"
                                           lines for the logins compose/postgres/roles.sql makes

What the checks hold:
  - the file parses (YAML, merge keys resolved);
  - every vaksin service (the ${VAKSIN_IMAGE} image) runs a program `cmake --install` puts in
    bin/ (INSTALLED_BIN): what the image carries;
  - every file a secret or config names exists in the repository, except the operator's own
    secrets (./secrets/...), which must each be listed in compose/README.md's secrets table; every
    bind-mounted repository path exists; every secret and config a service uses is defined;
  - every ${VARIABLE} the file interpolates is in README.md's .env block;
  - every depends_on waits for a condition that fits the dependency: a one-shot job (restart
    "no") to complete successfully, a service with a healthcheck to be healthy, anything else to
    have started;
  - every long-running vaksin service has a healthcheck that GETs /readyz on the port its
    VAKSIN_METRICS_LISTEN names, and no vaksin service gets a password through its environment;
  - the schema belongs to a one-shot job running `vaksin-projector --migrate`; the projector runs
    with migrate.on.start=false under another login; every PostgreSQL login a service uses is
    made by compose/postgres/roles.sql.
"""

import os
import re
import sys

import yaml

PASSWORD_IN_VALUE = re.compile(r"password\s*=|://[^/@\s]*:[^/@\s]*@", re.IGNORECASE)


def load(src):
    with open(os.path.join(src, "compose", "docker-compose.yml")) as f:
        text = f.read()
    return text, yaml.safe_load(text)


def is_vaksin(svc):
    return str(svc.get("image", "")).startswith("${VAKSIN_IMAGE")


def env_of(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def pg_user(svc):
    m = re.search(r"(?:^|\s)user=(\S+)", env_of(svc).get("VAKSIN_PG", ""))
    return m.group(1) if m else None


def role_logins(src):
    """(login, group) rows of roles.sql's vaksin_login table; group None for the owner."""
    with open(os.path.join(src, "compose", "postgres", "roles.sql")) as f:
        sql = f.read()
    return [(login, None if grp == "NULL" else grp.strip("'"))
            for login, grp in re.findall(r"\('(\w+)', :'\w+', (NULL|'\w+')\)", sql)]


def readme_secrets(src):
    """Names in the first column of the README's `secrets/` table."""
    with open(os.path.join(src, "compose", "README.md")) as f:
        readme = f.read()
    table = readme.split("`secrets/`", 1)[1].split("\n\n", 2)[1]
    names = set()
    for row in table.splitlines():
        cells = row.split("|")
        if len(cells) > 2:
            names.update(re.findall(r"`([^`]+)`", cells[1]))
    return names, readme


def readme_env(readme):
    block = readme.split("`.env` next to `docker-compose.yml`", 1)[1].split("```", 2)[1]
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", block, re.MULTILINE))


def check(src, installed_bin):
    problems = []
    text, doc = load(src)
    services = doc["services"]
    compose_dir = os.path.join(src, "compose")
    listed, readme = readme_secrets(src)

    for kind in ("secrets", "configs"):
        for name, spec in (doc.get(kind) or {}).items():
            path = spec.get("file")
            if path is None:
                continue
            if path.startswith("./secrets/"):
                if os.path.basename(path) not in listed:
                    problems.append(f"{kind} {name}: {path} is not in compose/README.md's secrets table")
            elif not os.path.isfile(os.path.join(compose_dir, path)):
                problems.append(f"{kind} {name}: {path} does not exist in the repository")

    for var in sorted(set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text)) - readme_env(readme)):
        problems.append(f"${{{var}}} is not in compose/README.md's .env block")

    for sname, svc in services.items():
        for kind in ("secrets", "configs"):
            for ref in svc.get(kind) or []:
                source = ref["source"] if isinstance(ref, dict) else ref
                if source not in (doc.get(kind) or {}):
                    problems.append(f"{sname}: {kind[:-1]} {source} is not defined")
        for vol in svc.get("volumes") or []:
            host = vol.split(":", 1)[0]
            if host.startswith(".") and not os.path.exists(os.path.join(compose_dir, host)):
                problems.append(f"{sname}: volume {host} does not exist in the repository")
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            problems.append(f"{sname}: depends_on without conditions ({', '.join(deps)})")
            deps = {}
        for dep, how in deps.items():
            target = services.get(dep)
            if target is None:
                problems.append(f"{sname}: depends on {dep}, which is not a service")
                continue
            one_shot = str(target.get("restart", "")) == "no"
            healthy = bool(target.get("healthcheck")) and not target["healthcheck"].get("disable")
            want = ("service_completed_successfully" if one_shot else
                    "service_healthy" if healthy else "service_started")
            if (how or {}).get("condition") != want:
                problems.append(f"{sname}: depends on {dep} with {(how or {}).get('condition')},"
                                f" expected {want}")

        if not is_vaksin(svc):
            continue
        command = svc.get("command") or []
        program = command[0] if command else None
        if not program or not os.access(os.path.join(installed_bin, program), os.X_OK):
            problems.append(f"{sname}: runs {program}, which `cmake --install` does not put in bin/")
        env = env_of(svc)
        for key, value in env.items():
            if "PASSWORD" in key or PASSWORD_IN_VALUE.search(value):
                problems.append(f"{sname}: {key} gives a password through the environment")
        long_running = str(svc.get("restart", "")) != "no"
        if long_running:
            hc = svc.get("healthcheck") or {}
            probe = " ".join(hc.get("test") or [])
            listen = env.get("VAKSIN_METRICS_LISTEN", "")
            port = listen.rsplit(":", 1)[-1] if listen else None
            if hc.get("disable") or not port or f":{port}/readyz" not in probe:
                problems.append(f"{sname}: no healthcheck of /readyz on metrics.listen"
                                f" ({listen or 'unset'}): {probe or 'none'}")

    # Prometheus scrapes exactly the long-running vaksin services, each on its metrics port.
    scraped = set()
    prom = os.path.join(compose_dir, "prometheus", "prometheus.yml")
    if os.path.isfile(prom):
        with open(prom) as f:
            for job in yaml.safe_load(f).get("scrape_configs") or []:
                for sc in job.get("static_configs") or []:
                    scraped.update(sc.get("targets") or [])
    want = set()
    for sname, svc in services.items():
        if is_vaksin(svc) and str(svc.get("restart", "")) != "no":
            listen = env_of(svc).get("VAKSIN_METRICS_LISTEN", "")
            if listen:
                want.add(f"{sname}:{listen.rsplit(':', 1)[-1]}")
    for t in sorted(want - scraped):
        problems.append(f"prometheus/prometheus.yml does not scrape {t}")
    for t in sorted(scraped - want):
        problems.append(f"prometheus/prometheus.yml scrapes {t}, which serves no metrics")

    logins = {login for login, _ in role_logins(src)}
    owner = [login for login, grp in role_logins(src) if grp is None]
    migrate = [n for n, s in services.items()
               if is_vaksin(s) and s.get("command", [])[:2] == ["vaksin-projector", "--migrate"]]
    if len(migrate) != 1 or str(services[migrate[0]].get("restart")) != "no":
        problems.append(f"expected one one-shot job running vaksin-projector --migrate, found {migrate}")
    elif pg_user(services[migrate[0]]) not in owner:
        problems.append(f"{migrate[0]}: migrates as {pg_user(services[migrate[0]])}, not as the"
                        f" schema owner {owner}")
    for sname, svc in services.items():
        user = pg_user(svc)
        if is_vaksin(svc) and user and user not in logins:
            problems.append(f"{sname}: logs in as {user}, which compose/postgres/roles.sql does not make")
        if is_vaksin(svc) and (svc.get("command") or [None])[0] == "vaksin-projector" \
                and sname not in migrate:
            if env_of(svc).get("VAKSIN_MIGRATE_ON_START") != "false":
                problems.append(f"{sname}: the projector must run with VAKSIN_MIGRATE_ON_START=false")
            if user in owner:
                problems.append(f"{sname}: the projector logs in as the schema owner {user}")
    return problems


def main():
    src = sys.argv[1]
    if sys.argv[2] == "--logins":
        for sname, svc in load(src)[1]["services"].items():
            if pg_user(svc):
                print(sname, pg_user(svc))
        for login, grp in role_logins(src):
            print(grp or "owner", login)
        return 0
    problems = check(src, sys.argv[2])
    for p in problems:
        print("compose:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
