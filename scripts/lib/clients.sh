# shellcheck shell=bash
#
# scripts/lib/clients.sh — part of scripts/lib.sh (source that, not this file): the independent
# test clients' Python environment, vk_pyenv (<repo>/.venv).

# ---------------------------------------------------------------------------------------------
# Independent test clients

# vk_pyenv — prints the python of <repo>/.venv, creating it first when missing or when
# tests/clients/requirements.txt changed: Debian's python3 with its site packages plus the pinned
# clients from PyPI (Confluent's Kafka client, with its own librdkafka; its schema registry client
# and Avro serializer; Apache Avro, which shadows Debian's older python3-avro), which are all the
# test clients and the test schema registry (test-servers/registry) import beyond the stdlib.
vk_pyenv() {
    local venv=$VK_SRC/.venv req=$VK_SRC/tests/clients/requirements.txt key
    key=$(sha256sum "$req" | cut -c1-16)
    if [[ "$(cat "$venv/.vaksin-requirements" 2>/dev/null)" != "$key" ]]; then
        (
            flock 9
            [[ "$(cat "$venv/.vaksin-requirements" 2>/dev/null)" == "$key" ]] && exit 0
            rm -rf "$venv"
            /usr/bin/python3 -m venv --system-site-packages "$venv" >&2 &&
                "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2 &&
                echo "$key" >"$venv/.vaksin-requirements"
        ) 9>"$VK_SRC/.venv.lock" || { vk_err "cannot set up $venv (pip install -r $req)"; return 1; }
    fi
    printf '%s\n' "$venv/bin/python"
}
