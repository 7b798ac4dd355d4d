#!/usr/bin/env python3
"""The Grafana dashboards of compose/grafana/ against the read model (tests/integration/dashboards.sh).

    dashboards.py extract GRAFANA_DIR OUT_DIR
        Reads the provisioned data sources (provisioning/datasources/*.yaml) and every panel of
        every dashboard (dashboards/*.json, rows' panels included). Each query must name a
        provisioned data source. A PostgreSQL query must be raw SQL (rawQuery, rawSql) using no
        Grafana macro but $__timeFilter, $__timeGroup and $__timeGroupAlias and no template
        variable; they are expanded as Grafana's PostgreSQL data source does, over 2020-01-01 to
        a year from now, into OUT_DIR/queries.json. Every Prometheus expr goes into
        OUT_DIR/rules.json as a recording rule, for `promtool check rules`. The PostgreSQL data
        source must log in as vaksin_dashboard, or as a login compose/postgres/roles.sql makes a
        member of vaksin_dashboard, with a password from a file or the environment.
    dashboards.py run OUT_DIR CONNINFO
        Runs each query of OUT_DIR/queries.json in its own psql session as the superuser of
        CONNINFO after SET ROLE vaksin_dashboard: it must succeed and return at least one row.
        Prints one line per panel with its rows.
    dashboards.py due DESK_EXPECTED_JSON VACCINES_CSV
        The due list computed from gen-desk-day's model of the dose table and the catalog file:
        "due_on|facility|next_dose|vaccine|people" lines, sorted, as the view doses_due must
        hold them (without its district and facility name).
    dashboards.py vaccinated DESK_EXPECTED_JSON
        "dose|people vaccinated" lines from the same model, for coverage_by_province.

Exits 1 with the findings on stderr when a check fails.
"""

import csv
import datetime as dt
import glob
import json
import os
import re
import subprocess
import sys

FROM = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
PG_TYPES = {"grafana-postgresql-datasource", "postgres"}
PROM_TYPES = {"prometheus"}
WIB = dt.timezone(dt.timedelta(hours=7))


def fail(findings):
    for f in findings:
        print(f"dashboards: {f}", file=sys.stderr)
    sys.exit(1)


def datasources(path):
    """The data sources of a provisioning file, read line by line: this repository's files use
    only `- name:` items with scalar `key: value` lines (no PyYAML needed)."""
    out, cur = [], None
    for line in open(path, encoding="utf-8"):
        line = line.split(" #")[0].rstrip() if not line.lstrip().startswith("#") else ""
        m = re.match(r"^\s*- name:\s*(.+)$", line)
        if m:
            cur = {"name": m.group(1).strip()}
            out.append(cur)
            continue
        m = re.match(r"^\s+([A-Za-z]+):\s*(.+)$", line)
        if m and cur is not None:
            cur.setdefault(m.group(1), m.group(2).strip().strip('"').strip("'"))
    return out


def panels_of(items):
    for p in items:
        yield p
        yield from panels_of(p.get("panels", []))


def expand(sql, to):
    """Grafana's PostgreSQL macros (pkg/tsdb/grafana-postgresql-datasource macros.go)."""
    tf, tt = FROM.strftime("%Y-%m-%dT%H:%M:%SZ"), to.strftime("%Y-%m-%dT%H:%M:%SZ")

    def seconds(interval):
        m = re.fullmatch(r"\s*'?(\d+)([smhdw])'?\s*", interval)
        if not m:
            raise ValueError(f"interval {interval!r}")
        return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]

    def macro(m):
        name, args = m.group(1), [a.strip() for a in m.group(2).split(",")]
        if name == "timeFilter" and len(args) == 1:
            return f"{args[0]} BETWEEN '{tf}' AND '{tt}'"
        if name in ("timeGroup", "timeGroupAlias") and len(args) == 2:
            s = seconds(args[1])
            return f"floor(extract(epoch from {args[0]})/{s})*{s}" + (' AS "time"' if name == "timeGroupAlias" else "")
        raise ValueError(f"macro $__{name}({m.group(2)}) is not one the dashboards may use")

    out = re.sub(r"\$__(\w+)\(([^()]*)\)", macro, sql)
    left = re.findall(r"\$\{?\w+", out)
    if left:
        raise ValueError(f"unexpanded {', '.join(sorted(set(left)))} (template variables or macros)")
    return out


def extract(grafana, out_dir):
    findings = []
    sources = {}
    for f in sorted(glob.glob(os.path.join(grafana, "provisioning", "datasources", "*.yaml"))):
        for ds in datasources(f):
            sources[ds.get("uid")] = ds
    pg = [d for d in sources.values() if d.get("type") in PG_TYPES]
    prom = [d for d in sources.values() if d.get("type") in PROM_TYPES]
    if len(pg) != 1 or len(prom) != 1:
        findings.append(f"expected one PostgreSQL and one Prometheus data source, got {sorted(sources)}")
    logins = {"vaksin_dashboard"}
    roles = os.path.join(grafana, "..", "postgres", "roles.sql")
    if os.path.exists(roles):  # ('grafana', :'dashboard_pw', 'vaksin_dashboard')
        logins |= set(re.findall(r"\('(\w+)',\s*:'\w+',\s*'vaksin_dashboard'\)", open(roles).read()))
    for d in pg:
        if d.get("user") not in logins:
            findings.append(f"data source {d['name']}: user {d.get('user')!r}, not one of {sorted(logins)}")
        if not re.fullmatch(r"\$(__file\{/[^}]+\}|__env\{\w+\}|\{?\w+\}?)", d.get("password", "")):
            findings.append(f"data source {d['name']}: the password is not read from a file or the environment")
    for d in prom:
        if d.get("url") != "http://prometheus:9090":
            findings.append(f"data source {d['name']}: url {d.get('url')!r}")

    to = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365)
    queries, rules = [], []
    files = sorted(glob.glob(os.path.join(grafana, "dashboards", "*.json")))
    if not files:
        findings.append(f"no dashboard in {grafana}/dashboards")
    for f in files:
        d = json.load(open(f, encoding="utf-8"))
        name = os.path.basename(f)
        if d.get("templating", {}).get("list"):
            findings.append(f"{name}: template variables (the checks cannot expand them)")
        for p in panels_of(d.get("panels", [])):
            for t in p.get("targets", []):
                where = f"{name} / {p.get('title')} / {t.get('refId')}"
                uid = (t.get("datasource") or p.get("datasource") or {}).get("uid")
                ds = sources.get(uid)
                if ds is None:
                    findings.append(f"{where}: data source {uid!r} is not provisioned")
                    continue
                if ds["type"] in PG_TYPES:
                    if not t.get("rawQuery") or not t.get("rawSql", "").strip():
                        findings.append(f"{where}: not a raw SQL query (rawSql)")
                        continue
                    try:
                        queries.append({"panel": where, "sql": expand(t["rawSql"], to)})
                    except ValueError as e:
                        findings.append(f"{where}: {e}")
                elif ds["type"] in PROM_TYPES:
                    expr = t.get("expr", "")
                    if not expr.strip() or "$" in expr:
                        findings.append(f"{where}: no expr, or a Grafana variable in it: {expr!r}")
                        continue
                    rules.append({"record": f"vaksin:dashboard_{len(rules) + 1}", "expr": expr,
                                  "labels": {"panel": where}})
                else:
                    findings.append(f"{where}: data source type {ds['type']!r}")
    if findings:
        fail(findings)
    with open(os.path.join(out_dir, "queries.json"), "w") as fh:
        json.dump(queries, fh, indent=1)
    with open(os.path.join(out_dir, "rules.json"), "w") as fh:  # YAML is a superset of JSON
        json.dump({"groups": [{"name": "vaksin-dashboards", "rules": rules}]}, fh, indent=1)
    print(f"sql_panels={len(queries)} promql_exprs={len(rules)} dashboards={len(files)}")


def run(out_dir, conninfo):
    findings = []
    for q in json.load(open(os.path.join(out_dir, "queries.json"))):
        # Rows end with \x1e; one psql session: SET ROLE, then the panel's query as it is.
        r = subprocess.run(["psql", conninfo, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-F", "\x1f", "-R", "\x1e", "-f", "-"],
                           input=f"SET ROLE vaksin_dashboard;\n{q['sql']}\n;\n",
                           capture_output=True, text=True)
        if r.returncode != 0:
            findings.append(f"{q['panel']}: {r.stderr.strip()}")
            continue
        out = r.stdout.rstrip("\n")
        rows = out.count("\x1e") + 1 if out else 0
        print(f"rows={rows:<5} {q['panel']}")
        if rows == 0:
            findings.append(f"{q['panel']}: no row")
    if findings:
        fail(findings)


def model_doses(expected):
    e = json.load(open(expected))
    cols = e["dose_columns"]
    return [dict(zip(cols, row)) for row in e["dose"]]


def due(expected, vaccines):
    catalog = {r["code"]: (int(r["doses"]), int(r["min_interval_days"]))
               for r in csv.DictReader(open(vaccines))}
    people = {}
    for r in model_doses(expected):
        people.setdefault(r["nik"], {})[int(r["dose"])] = r
    counts = {}
    for doses in people.values():
        given = [n for n, r in doses.items() if r["status"] == "VACCINATED"]
        if not given:
            continue
        last = doses[max(given)]
        nxt = doses.get(max(given) + 1)
        series = catalog[doses[1]["vaccine"]][0]
        if max(given) >= series or (nxt and nxt["status"] != "POSTPONED"):
            continue
        day = dt.datetime.fromtimestamp(int(last["vaccinated_at"]) / 1000, WIB).date()
        key = (day + dt.timedelta(days=catalog[last["vaccine"]][1]), last["vaccinating_facility"],
               max(given) + 1, last["vaccine"])
        counts[key] = counts.get(key, 0) + 1
    for (on, fac, n, vac), c in sorted(counts.items()):
        print(f"{on.isoformat()}|{fac}|{n}|{vac}|{c}")


def vaccinated(expected):
    counts = {}
    for r in model_doses(expected):
        if r["status"] == "VACCINATED":
            counts[int(r["dose"])] = counts.get(int(r["dose"]), 0) + 1
    for n, c in sorted(counts.items()):
        print(f"{n}|{c}")


if __name__ == "__main__":
    cmd, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if cmd == "extract" and len(args) == 2:
        extract(*args)
    elif cmd == "run" and len(args) == 2:
        run(*args)
    elif cmd == "due" and len(args) == 2:
        due(*args)
    elif cmd == "vaccinated" and len(args) == 1:
        vaccinated(*args)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
