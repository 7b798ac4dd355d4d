#!/usr/bin/env bash
# stubs_protocol — the stub servers (vaksin-stubs) speak docs/design.md §8's two protocols over real
# HTTP, checked with tools that share no code with vaksin: curl signs and sends, openssl
# decrypts the BPJS ciphertext, and a Python transcription of the reference LZ-String
# decompressor reads the participant. Also: the Dukcapil per-element answer, credentials
# refused (and never logged), a source taken down and brought back through /_control,
# injected 500s and hangs, /_stats counting requests against TCP connections (one curl with
# two URLs is one connection), latency applied per connection in parallel, and a clean stop on
# SIGTERM with a request still hanging.
#
# Needs no broker and no PostgreSQL: it starts two stubs (one per protocol) on free ports.
source "$(dirname "$0")/lib.sh"

for tool in curl openssl; do
    command -v "$tool" >/dev/null || it_fail "$tool is missing: run scripts/deps"
done
BIN=${VK_BIN:?VK_BIN must point to the build bin/ folder}
IT_TMP=$(mktemp -d "/tmp/vaksin-it-$IT_NAME.XXXXXX")
mkdir -p "$IT_TMP/logs"
STUB_PIDS=()
URL_bpjs='' URL_duk='' PID_duk='' # set by start_stub

stubs_teardown() {
    local rc=$? p
    for p in "${STUB_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${STUB_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$IT_TMP"/logs/*.log \
        >/dev/null 2>&1; then
        echo "FAIL [$IT_NAME]: a sanitizer reported in a stub log" >&2
        rc=1
    fi
    if ((rc != 0)); then
        for p in "$IT_TMP"/logs/*.log; do
            echo "== $p (last 30 lines)" >&2
            tail -n 30 "$p" >&2
        done
    elif [[ -z "${IT_KEEP:-}" ]]; then
        rm -rf "$IT_TMP"
    fi
    exit "$rc"
}
trap stubs_teardown EXIT

CONS=1000
SECRET=s3cr3t-7789
USER_KEY=uk-5f0e1d
DPASS=p4ss-dukcapil
cat >"$IT_TMP/people.csv" <<'CSV'
nik,name,birth_date,sex,card_no
3273025205850001,Siti Nurhaliza,1985-05-12,P,0001234567890
3273020505850002,Budi Santoso,1985-05-05,L,
5171014506900002,Ni Luh Putu Ayu Déwi,1990-06-05,P,0009876543210
CSV
umask 077
cat >"$IT_TMP/stubs.conf" <<CONF
jkn.cons_id=$CONS
jkn.secret=$SECRET
jkn.user_key=$USER_KEY
dukcapil.user_id=faskes01
dukcapil.password=$DPASS
dukcapil.ip_user=10.1.2.3
CONF


# json FILE_OR_- EXPR — a Python expression on the parsed JSON (as j).
json() { "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1]) if sys.argv[1] != "-" else sys.stdin); print(eval(sys.argv[2]))' "$1" "$2"; }

# A group-readable config holding secrets is refused before anything listens.
cp "$IT_TMP/stubs.conf" "$IT_TMP/open.conf"
chmod 644 "$IT_TMP/open.conf"
rc=0
"$BIN/vaksin-stubs" --config "$IT_TMP/open.conf" -X stub.protocol=bpjs 2>"$IT_TMP/open.err" || rc=$?
it_eq "group-readable config with secrets refused (exit)" 2 "$rc"
grep -q 'chmod 600' "$IT_TMP/open.err" || it_fail "no chmod advice: $(cat "$IT_TMP/open.err")"

start_stub() { # NAME PROTOCOL [ARGS...]
    it_stub_start "$1" "$2" "$IT_TMP/stubs.conf" "$IT_TMP/people.csv" "$IT_TMP/logs/$1.log" \
        -X stub.seed=42 --log-level debug "${@:3}"
}
start_stub bpjs bpjs
start_stub duk dukcapil
echo "stubs: bpjs $URL_bpjs, dukcapil $URL_duk"

# ---- BPJS ----
# bpjs_headers TS [SECRET] — the four headers as curl -H arguments, into the array H.
bpjs_headers() {
    local sig
    sig=$(printf '%s&%s' "$CONS" "$1" | openssl dgst -sha256 -hmac "${2:-$SECRET}" -binary | base64)
    H=(-H "X-cons-id: $CONS" -H "X-timestamp: $1" -H "X-signature: $sig" -H "user_key: $USER_KEY")
}
peserta() { printf '%s/vclaim-rest/Peserta/nik/%s/tglSEP/2021-02-01' "$URL_bpjs" "$1"; }

# One curl, three URLs: the stub must see one connection for the three requests.
ts=$(date +%s)
bpjs_headers "$ts"
curl -sS --fail-with-body "${H[@]}" "$(peserta 5171014506900002)" -o "$IT_TMP/found.json" \
    "$(peserta 3273025205850009)" -o "$IT_TMP/unknown.json" \
    "$URL_bpjs/_stats" -o "$IT_TMP/stats0.json" || it_fail "curl to the BPJS stub failed"
it_eq "one curl, two protocol requests: requests" 2 "$(json "$IT_TMP/stats0.json" 'j["requests"]')"
it_eq "one curl, two protocol requests: connections" 1 "$(json "$IT_TMP/stats0.json" 'j["connections"]')"

it_eq "unknown NIK" "201 Peserta tidak ditemukan None" \
    "$(json "$IT_TMP/unknown.json" 'j["metaData"]["code"] + " " + j["metaData"]["message"] + " " + str(j["response"])')"
it_eq "known NIK: code" "200 OK" "$(json "$IT_TMP/found.json" 'j["metaData"]["code"] + " " + j["metaData"]["message"]')"

# The ciphertext: AES-256-CBC under SHA-256(cons id + secret + timestamp), IV its first 16 bytes.
key=$(printf '%s%s%s' "$CONS" "$SECRET" "$ts" | openssl dgst -sha256 -hex | awk '{print $NF}')
json "$IT_TMP/found.json" 'j["response"]' >"$IT_TMP/found.b64"
openssl enc -d -aes-256-cbc -K "$key" -iv "${key:0:32}" -a -A -in "$IT_TMP/found.b64" \
    -out "$IT_TMP/found.lz" || it_fail "openssl cannot decrypt the BPJS ciphertext"
grep -qE '^[A-Za-z0-9+$-]+$' "$IT_TMP/found.lz" ||
    it_fail "the plaintext is not LZ-String's URI alphabet: $(head -c 80 "$IT_TMP/found.lz")"
# decompressFromEncodedURIComponent, transcribed from the reference lz-string (MIT).
peserta_json=$("$PY" "$VK_SRC/tests/integration/checks/lz_string_peserta.py" "$IT_TMP/found.lz") ||
    it_fail "the decrypted plaintext does not decompress to JSON"
it_eq "known NIK: participant" "5171014506900002|Ni Luh Putu Ayu Déwi|0009876543210|P|1990-06-05|0|AKTIF" \
    "$peserta_json"

# Each credential check, by name; every refusal is HTTP 200 with metaData code 401.
bpjs_code() { curl -sS -w ' %{http_code}' "$@" | "$PY" -c 'import json,sys
body, status = sys.stdin.read().rsplit(" ", 1)
j = json.loads(body)
print(status, j["metaData"]["code"], j["metaData"]["message"])'; }
bpjs_headers "$ts" wrong-secret
it_eq "wrong signature" "200 401 Signature tidak valid" "$(bpjs_code "${H[@]}" "$(peserta 3273025205850001)")"
bpjs_headers $((ts - 3600))
it_eq "old timestamp" "200 401 X-timestamp kedaluwarsa" "$(bpjs_code "${H[@]}" "$(peserta 3273025205850001)")"
bpjs_headers "$ts"
H[7]="user_key: not-$USER_KEY"
it_eq "wrong user_key" "200 401 user_key tidak valid" "$(bpjs_code "${H[@]}" "$(peserta 3273025205850001)")"
bpjs_headers "$ts"
H[1]="X-cons-id: 999"
it_eq "wrong cons id" "200 401 X-cons-id tidak dikenal" "$(bpjs_code "${H[@]}" "$(peserta 3273025205850001)")"
bpjs_headers "$ts"
it_eq "NIK of 15 digits" "200 400 NIK harus 16 digit" "$(bpjs_code "${H[@]}" "$(peserta 327302520585000)")"
it_eq "unknown path (never 'not found')" "404 400" \
    "$(bpjs_code "${H[@]}" "$URL_bpjs/Peserta/nokartu/0001234567890" | cut -d' ' -f1-2)"

# ---- Dukcapil ----
duk() { # BODY → "status body"
    curl -sS -w ' %{http_code}' -H 'Content-Type: application/json' -d "$1" "$URL_duk/dukcapil/verify" |
        "$PY" -c 'import sys; b, s = sys.stdin.read().rsplit(" ", 1); print(s, b)'
}
cred="\"USER_ID\":\"faskes01\",\"PASSWORD\":\"$DPASS\",\"IP_USER\":\"10.1.2.3\",\"TRESHOLD\":90"
it_eq "Dukcapil: each element sent is answered" \
    '200 {"content":[{"NIK":"Sesuai (100)","NAMA_LGKP":"Sesuai (93)","TGL_LHR":"Tidak Sesuai (0)","JENIS_KLMIN":"Sesuai (100)"}]}' \
    "$(duk "{\"NIK\":\"3273025205850001\",\"NAMA_LGKP\":\"SITI NURHALIZAH\",\"TGL_LHR\":\"13-05-1985\",\"JENIS_KLMIN\":\"PEREMPUAN\",$cred}")"
it_eq "Dukcapil: elements not sent are not answered" \
    '200 {"content":[{"NIK":"Sesuai (100)","JENIS_KLMIN":"Tidak Sesuai (0)"}]}' \
    "$(duk "{\"NIK\":\"3273025205850001\",\"JENIS_KLMIN\":\"LAKI-LAKI\",$cred}")"
it_eq "Dukcapil: unknown NIK" '200 {"content":[{"RESPON":"Data Tidak Ditemukan"}]}' \
    "$(duk "{\"NIK\":\"3273025205850009\",$cred}")"
it_eq "Dukcapil: wrong password" '200 {"content":[{"RESPON":"User ID atau Password salah"}]}' \
    "$(duk "{\"NIK\":\"3273025205850001\",${cred/$DPASS/wrong}}")"
it_eq "Dukcapil: malformed body" '400 {"content":[{"RESPON":"Format permintaan salah: TGL_LHR bukan tanggal dd-mm-yyyy"}]}' \
    "$(duk "{\"NIK\":\"3273025205850001\",\"TGL_LHR\":\"1985-05-12\",$cred}")"

# ---- A source down, then back; injected faults ----
control() { it_stub_control "$@"; }
control "$URL_duk" '{"down":true}'
it_eq "Dukcapil down" '503 {"content":[{"RESPON":"Service Unavailable"}]}' "$(duk "{\"NIK\":\"3273025205850001\",$cred}")"
it_eq "BPJS answers while Dukcapil is down" "200 200 OK" "$(bpjs_code "${H[@]}" "$(peserta 3273025205850001)")"
control "$URL_bpjs" '{"down":true}'
it_eq "BPJS down" "503 503 Service Unavailable" "$(bpjs_code "${H[@]}" "$(peserta 3273025205850001)")"
control "$URL_bpjs" '{"down":false,"fail_rate":1}'
it_eq "BPJS injected failure" "500 500 Internal Server Error" "$(bpjs_code "${H[@]}" "$(peserta 3273025205850001)")"
control "$URL_bpjs" '{"fail_rate":0}'
it_eq "BPJS back" "200 200 OK" "$(bpjs_code "${H[@]}" "$(peserta 3273025205850001)")"
control "$URL_duk" '{"down":false}'
it_eq "Dukcapil back" 200 "$(duk "{\"NIK\":\"3273025205850001\",$cred}" | cut -d' ' -f1)"
code=$(curl -sS -o /dev/null -w '%{http_code}' -d '{"latency_ms":"slow"}' "$URL_duk/_control")
it_eq "/_control refuses a bad value" 400 "$code"

# Latency holds up each connection, not the server: 8 parallel requests at 1 s each.
control "$URL_duk" '{"latency_ms":1000}'
start=$(date +%s%N)
pids=()
for i in 1 2 3 4 5 6 7 8; do
    curl -sS -o "$IT_TMP/par.$i" -d "{\"NIK\":\"3273025205850001\",$cred}" "$URL_duk/x" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || it_fail "a parallel request failed"; done
ms=$((($(date +%s%N) - start) / 1000000))
((ms >= 1000)) || it_fail "8 requests at 1000 ms latency took only $ms ms"
((ms < 6000)) || it_fail "8 parallel requests at 1000 ms latency took $ms ms: they were served one by one"
echo "ok [$IT_NAME]: 8 parallel requests at 1000 ms latency took $ms ms"
control "$URL_duk" '{"latency_ms":0}'

# A hanging request outlives a client timeout (curl exit 28).
control "$URL_duk" '{"hang_rate":1}'
rc=0
curl -sS -m 1 -o /dev/null -d "{\"NIK\":\"3273025205850001\",$cred}" "$URL_duk/x" 2>/dev/null || rc=$?
it_eq "hanging request times the client out (curl exit)" 28 "$rc"
control "$URL_duk" '{"hang_rate":0}'

# ---- Counters ----
curl -sS "$URL_duk/_stats" -o "$IT_TMP/duk.stats"
it_eq "Dukcapil /_stats" "requests=16 found=11 not_found=1 refused_auth=1 bad_request=1 failed=1 hung=1" \
    "$(json "$IT_TMP/duk.stats" '"requests=%d found=%d not_found=%d refused_auth=%d bad_request=%d failed=%d hung=%d" % (j["requests"], j["answered_found"], j["answered_not_found"], j["refused_auth"], j["bad_request"], j["failed"], j["hung"])')"
curl -sS "$URL_bpjs/_stats" -o "$IT_TMP/bpjs.stats"
it_eq "BPJS /_stats" "requests=12 found=3 not_found=1 refused_auth=4 bad_request=2 failed=2" \
    "$(json "$IT_TMP/bpjs.stats" '"requests=%d found=%d not_found=%d refused_auth=%d bad_request=%d failed=%d" % (j["requests"], j["answered_found"], j["answered_not_found"], j["refused_auth"], j["bad_request"], j["failed"])')"

# ---- Stop: SIGTERM ends the hanging request's wait; the port file goes ----
control "$URL_duk" '{"hang_rate":1}'
curl -sS -m 60 -o /dev/null -d "{\"NIK\":\"3273025205850001\",$cred}" "$URL_duk/x" 2>/dev/null &
hanging=$!
sleep 0.5
kill -TERM "$PID_duk"
rc=0
timeout 10 tail --pid="$PID_duk" -f /dev/null || it_fail "vaksin-stubs did not stop within 10 s of SIGTERM"
wait "$PID_duk" || rc=$?
wait "$hanging" 2>/dev/null || true
it_eq "exit status after SIGTERM" 0 "$rc"
[[ ! -e "$IT_TMP/duk.url" ]] || it_fail "the port file is still there after a clean stop"
rc=0
curl -sS -m 5 -o /dev/null "$URL_duk/_stats" 2>/dev/null || rc=$?
it_eq "stopped source refuses connections (curl exit)" 7 "$rc"
it_eq "BPJS still answers" "200 200 OK" "$(bpjs_code "${H[@]}" "$(peserta 3273025205850001)")"

# ---- Logs: one start line each, requests at debug, NIKs masked, no secret ----
grep -q 'msg=ready protocol=bpjs .* people=3 ' "$IT_TMP/logs/bpjs.log" || it_fail "no start line for bpjs"
grep -q 'msg=request method=GET path="/vclaim-rest/Peserta/nik/517101\*\*\*\*\*\*0002/' "$IT_TMP/logs/bpjs.log" ||
    it_fail "no masked request line in the bpjs log"
for s in "$SECRET" "$USER_KEY" "$DPASS" 5171014506900002; do
    if grep -q -- "$s" "$IT_TMP"/logs/*.log; then it_fail "a log holds \"$s\""; fi
done
echo "ok [$IT_NAME]: logs hold no credential and no whole NIK"
