#!/usr/bin/env bash
# pg_copy — the COPY writers (binary and text) against a real PostgreSQL: unit test test_pg_copy
# with VAKSIN_TEST_PG set, so its database case runs instead of being skipped.
source "$(dirname "$0")/lib.sh"
it_setup
out=$IT_TMP/pg_copy.out
VAKSIN_TEST_PG=$VAKSIN_PG "${VK_BUILD:?}/tests/test_pg_copy" >"$out" 2>&1 || {
    cat "$out" >&2
    it_fail "test_pg_copy failed against PostgreSQL"
}
grep -q 'SKIPPED' "$out" && it_fail "test_pg_copy skipped its database case: $(grep SKIPPED "$out" | head -1)"
grep -q '^\[       OK \] test_against_postgresql' "$out" || it_fail "no result for test_against_postgresql"
echo "ok [$IT_NAME]: binary COPY, text COPY and SQL literals give the same rows"
