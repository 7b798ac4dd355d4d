# shellcheck shell=bash
#
# scripts/lib/stubs.sh — part of scripts/lib.sh (source that, not this file): the JKN and Dukcapil
# stub servers (vaksin-stubs), vk_stubs_start, vk_stub_start, vk_stub_restart, and vk_conf_set.

# ---------------------------------------------------------------------------------------------
# Stub servers for JKN and Dukcapil (vaksin-stubs), for a stack with no real endpoints

# vk_conf_set KEY VALUE — sets KEY in $RUN/vaksin.conf (replacing any line for it).
vk_conf_set() {
    local conf
    vk__ctx
    conf=$VK_RUN/vaksin.conf
    [[ -f "$conf" ]] || { vk_err "no $conf"; return 1; }
    grep -v -E "^[[:space:]]*${1//./\\.}[[:space:]]*=" "$conf" >"$conf.tmp" || true
    printf '%s=%s\n' "$1" "$2" >>"$conf.tmp"
    chmod 600 "$conf.tmp" && mv "$conf.tmp" "$conf"
}

# vk_stub_start SOURCE [ARGS...] — starts the stub of SOURCE (jkn: the BPJS web-service protocol;
# dukcapil: verification by element) as service stub-SOURCE, knowing the people of
# $RUN/people/SOURCE.csv (header nik,name,birth_date,sex,card_no; created empty when missing).
# It listens on the port it had before (its url file), else on a free one, and the URL goes
# into vaksin.conf as jkn.url / dukcapil.url for vaksin-lookup. Extra ARGS: -X stub.latency.ms=100 …
vk_stub_start() {
    local src=${1:?usage: vk_stub_start jkn|dukcapil [ARGS...]} proto url_file port_args=() i
    shift
    vk__ctx
    case "$src" in
    jkn) proto=bpjs ;;
    dukcapil) proto=dukcapil ;;
    *) vk_err "vk_stub_start: unknown source $src"; return 1 ;;
    esac
    mkdir -p "$VK_RUN/people" || return 1
    [[ -f "$VK_RUN/people/$src.csv" ]] || echo 'nik,name,birth_date,sex,card_no' >"$VK_RUN/people/$src.csv"
    url_file=$VK_RUN/stub-$src.url
    if [[ -s "$url_file" ]]; then
        port_args=(-X "stub.port=$(sed -E 's|.*:([0-9]+).*|\1|' "$url_file")")
    fi
    rm -f "$url_file.new"
    vk_service_start "stub-$src" -X "stub.protocol=$proto" -X "stub.port.file=$url_file.new" \
        -X "stub.people.file=$VK_RUN/people/$src.csv" "${port_args[@]}" "$@" || return 1
    for ((i = 0; i < 100; i++)); do
        [[ -s "$url_file.new" ]] && break
        sleep 0.1
    done
    [[ -s "$url_file.new" ]] || { vk_err "stub-$src wrote no address"; return 1; }
    mv "$url_file.new" "$url_file"
    if [[ $src == jkn ]]; then
        vk_conf_set jkn.url "$(head -n1 "$url_file")"
    else
        vk_conf_set dukcapil.url "$(head -n1 "$url_file")/dukcapil/verify"
    fi
}

# vk_stub_restart SOURCE [ARGS...] — stops and starts a stub on the same port (to reload its
# people file, or to bring a source back after a test took it down).
vk_stub_restart() {
    vk_service_stop "stub-$1" || return 1
    vk_stub_start "$@"
}

# vk_stubs_start — both stubs, with development credentials written into vaksin.conf, unless
# the configuration names real endpoints (jkn.url or dukcapil.url, in the file or environment).
vk_stubs_start() {
    vk__ctx
    if [[ -n "${VAKSIN_JKN_URL:-}${VAKSIN_DUKCAPIL_URL:-}" ]] ||
        grep -q -E '^[[:space:]]*(jkn|dukcapil)\.url[[:space:]]*=' "$VK_RUN/vaksin.conf"; then
        vk_log "real JKN/Dukcapil endpoints configured: no stubs"
        return 0
    fi
    vk_service_built stub-jkn || { vk_log "vaksin-stubs not built: no stubs"; return 0; }
    vk_stub_start jkn && vk_stub_start dukcapil || return 1
    vk_log "stubs: JKN $(head -n1 "$VK_RUN/stub-jkn.url"), Dukcapil $(head -n1 "$VK_RUN/stub-dukcapil.url")"
}
