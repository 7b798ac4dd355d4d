#!/usr/bin/env python3
"""The Dockerfile and the install rules, checked without Docker (ctest unit.packaging).

    packaging_check.py SRC BUILD

Installs BUILD (`DESTDIR=… cmake --install BUILD --prefix P`, P the prefix the Dockerfile's build
stage configures) into a temporary directory, then checks:
  - what is installed: every services/<name> and tools/<name> program but vaksin-loadgen, and no
    development program (vaksin-devbroker, vaksin-stubs, vaksin-loadgen, bench-*);
  - the build stage: it installs the -dev package of every library scripts/deps lists, builds
    with VK_DEV=OFF, and installs into the staging directory its COPY lines read;
  - the runtime stage: every COPY --from=build source exists in the installed tree and lands at
    the same path (so /usr/bin and /usr/share/vaksin are where the units and compose expect them);
    together the copies cover bin/ and share/vaksin/;
  - every shared library an installed program loads (ldd) belongs (dpkg -S) to a package the
    runtime stage installs or to one of their dependencies (Depends, Pre-Depends, Provides of the
    packages installed here, Debian 12 as the image); every library package it names is needed;
  - the programs compose's healthchecks run (curl) are installed by the runtime stage, and every
    /usr/… path compose gives a vaksin service exists in the installed tree;
  - the systemd units pass `systemd-analyze verify` (when it is there), ExecStart pointed at the
    installed programs.
Prints each problem; exits 1 on any, 77 (skipped) without dpkg.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

DEV_PROGRAMS = {"vaksin-devbroker", "vaksin-stubs", "vaksin-loadgen"}
NOT_INSTALLED_TOOLS = {"loadgen"}


def stages(dockerfile):
    """[(FROM line, [instruction lines])], continuation lines joined."""
    text = re.sub(r"\\\n", " ", open(dockerfile).read())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            out.append((line, []))
        elif out:
            out[-1][1].append(line)
    return out


def apt_installs(lines):
    pkgs = []
    for line in lines:
        for part in re.findall(r"apt-get install ([^&]*)", line):
            pkgs += [w for w in part.split() if not w.startswith("-")]
    return pkgs


def deps_libraries(src):
    """The -dev packages of scripts/deps's "libraries" group."""
    text = open(os.path.join(src, "scripts", "deps")).read()
    group = text.split("# libraries", 1)[1].split("\n  #", 1)[0]
    return [w for w in group.split() if w.endswith("-dev")]


def dpkg_owner(path):
    for candidate in (path, os.path.realpath(path),
                      re.sub(r"^/lib/", "/usr/lib/", path), re.sub(r"^/usr/lib/", "/lib/", path)):
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def installed_packages():
    """{package: set of packages it depends on (alternatives: the installed ones)}, Provides."""
    out = subprocess.run(["dpkg-query", "-W", "-f",
                          "${db:Status-Status}\t${Package}\t${Depends}, ${Pre-Depends}\t${Provides}\n"],
                         capture_output=True, text=True, check=True).stdout
    deps, provides, present = {}, {}, set()
    rows = [line.split("\t") for line in out.splitlines()]
    for status, pkg, _, prov in rows:
        if status == "installed":
            present.add(pkg)
            for p in prov.split(","):
                if p.strip():
                    provides.setdefault(re.split(r"[\s(:]", p.strip())[0], set()).add(pkg)

    def resolve(name):
        return ({name} if name in present else set()) | provides.get(name, set())

    for status, pkg, dep, _ in rows:
        if status != "installed":
            continue
        need = set()
        for clause in dep.split(","):
            alts = [re.split(r"[\s(:]", a.strip())[0] for a in clause.split("|") if a.strip()]
            for a in alts:
                found = resolve(a)
                if found:
                    need |= found
                    break
        deps[pkg] = need
    return deps


def closure(roots, deps):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo += deps.get(p, ())
    return seen


def main():
    src, build = sys.argv[1], sys.argv[2]
    if not shutil.which("dpkg"):
        print("skipped: no dpkg (the image is Debian 12; run this on Debian)")
        return 77
    problems = []
    build_stage, runtime = None, stages(os.path.join(src, "Dockerfile"))[-1]
    for from_line, lines in stages(os.path.join(src, "Dockerfile")):
        if re.search(r"\bAS build\b", from_line, re.IGNORECASE):
            build_stage = (from_line, lines)
    if not build_stage or not runtime[0].startswith("FROM debian:12-slim") \
            or not build_stage[0].startswith("FROM debian:12 "):
        problems.append("expected a build stage FROM debian:12 AS build and a runtime FROM debian:12-slim")
        build_stage = build_stage or ("", [])
    build_text = " ".join(build_stage[1])
    prefix = (re.findall(r"-DCMAKE_INSTALL_PREFIX=(\S+)", build_text) or ["/usr/local"])[0]
    staging = (re.findall(r"DESTDIR=(\S+) cmake --install", build_text) or [None])[0]
    if "-DVK_DEV=OFF" not in build_text:
        problems.append("the build stage does not configure -DVK_DEV=OFF (tests would be built)")
    if not staging:
        problems.append("the build stage does not run DESTDIR=… cmake --install")
    for dev in deps_libraries(src):
        if dev != "libcmocka-dev" and dev not in apt_installs(build_stage[1]):
            problems.append(f"the build stage does not install {dev} (scripts/deps lists it)")

    tmp = tempfile.mkdtemp(prefix="vaksin-packaging-")
    try:
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                           env=dict(os.environ, DESTDIR=tmp), capture_output=True, text=True)
        if r.returncode:
            print(r.stdout, r.stderr)
            return 1
        root = tmp + prefix
        bindir = os.path.join(root, "bin")
        programs = sorted(os.listdir(bindir))

        want = {"vaksin-" + os.path.basename(os.path.dirname(m))
                for m in glob.glob(os.path.join(src, "services", "*", "main.c"))}
        want |= {"vaksin-" + os.path.basename(os.path.dirname(m))
                 for m in glob.glob(os.path.join(src, "tools", "*", "main.c"))
                 if os.path.basename(os.path.dirname(m)) not in NOT_INSTALLED_TOOLS}
        for p in sorted(want - set(programs)):
            problems.append(f"{p} is not installed")
        for p in programs:
            if p in DEV_PROGRAMS or p.startswith("bench-") or not p.startswith("vaksin-"):
                problems.append(f"{p} is installed, and is not a production program")

        copied = []
        for line in runtime[1]:
            m = re.match(r"COPY --from=build (\S+) (\S+)$", line)
            if not m:
                continue
            source, dest = m.groups()
            rel = os.path.relpath(source, staging or "/")
            if not os.path.exists(os.path.join(tmp, rel)):
                problems.append(f"COPY {source}: cmake --install makes no {'/' + rel}")
            if "/" + rel.rstrip("/") != dest.rstrip("/"):
                problems.append(f"COPY {source} {dest}: lands elsewhere than the install prefix says")
            copied.append("/" + rel.rstrip("/"))
        for needed in (prefix + "/bin", prefix + "/share/vaksin"):
            if not any(needed == c or needed.startswith(c + "/") for c in copied):
                problems.append(f"no COPY brings {needed} into the image")

        explicit = apt_installs(runtime[1])
        libs = set()
        for p in programs:
            out = subprocess.run(["ldd", os.path.join(bindir, p)], capture_output=True,
                                 text=True).stdout
            for lib in re.findall(r"=> (/\S+)", out):
                libs.add(lib)
            for missing in re.findall(r"(\S+) => not found", out):
                problems.append(f"{p}: {missing} not found")
        owners = {}
        for lib in sorted(libs):
            pkg = dpkg_owner(lib)
            if pkg is None:
                problems.append(f"{lib}: no Debian package owns it")
            else:
                owners.setdefault(pkg, []).append(os.path.basename(lib))
        deps = installed_packages()
        for pkg in explicit:
            if pkg not in deps:
                problems.append(f"the runtime stage installs {pkg}, which is not installed here to check")
        image = closure(explicit, deps)
        for pkg, files in sorted(owners.items()):
            if pkg not in image:
                problems.append(f"{', '.join(files)} ({pkg}): the runtime stage does not install {pkg}"
                                f" nor anything that depends on it")
        for pkg in explicit:
            if pkg.startswith("lib") and pkg not in owners:
                problems.append(f"the runtime stage installs {pkg}, which no program links")

        compose = yaml.safe_load(open(os.path.join(src, "compose", "docker-compose.yml")))
        for name, svc in compose["services"].items():
            if not str(svc.get("image", "")).startswith("${VAKSIN_IMAGE"):
                continue
            probe = (svc.get("healthcheck") or {}).get("test") or []
            if len(probe) > 1 and probe[0] == "CMD" and probe[1] not in explicit:
                problems.append(f"compose {name}: its healthcheck runs {probe[1]}, which the image lacks")
            for key, value in (svc.get("environment") or {}).items():
                value = str(value)
                if value.startswith(prefix + "/") and not os.path.exists(tmp + value):
                    problems.append(f"compose {name}: {key}={value} is not in the image")

        units = sorted(glob.glob(os.path.join(root, "lib", "systemd", "system", "*.service")))
        if not units:
            problems.append("no systemd unit is installed")
        if units and shutil.which("systemd-analyze"):
            udir = os.path.join(tmp, "units")
            os.mkdir(udir)
            names = []
            for u in units:
                # The units name the programs where the build was configured to install them.
                text = re.sub(r"^ExecStart=\S*/(vaksin-\S+)", lambda m: f"ExecStart={bindir}/{m[1]}",
                              open(u).read(), flags=re.MULTILINE)
                base = os.path.basename(u)
                open(os.path.join(udir, base), "w").write(text)
                if base.endswith("@.service"):
                    os.symlink(base, os.path.join(udir, base.replace("@.service", "@1.service")))
                    base = base.replace("@.service", "@1.service")
                names.append(os.path.join(udir, base))
            r = subprocess.run(["systemd-analyze", "verify", "--man=no"] + names,
                               capture_output=True, text=True)
            said = (r.stdout + r.stderr).strip()
            if r.returncode or said:
                problems.append(f"systemd-analyze verify: {said or r.returncode}")
            else:
                print(f"systemd-analyze verify: {len(names)} units clean")
        print(f"installed {len(programs)} programs; the image's packages cover the "
              f"{len(libs)} libraries they load ({len(owners)} packages)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("packaging:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
