# shellcheck shell=bash
#
# scripts/lib/build.sh — part of scripts/lib.sh (source that, not this file): vk_build, which
# configures and builds the tree the stack's programs come from.

# ---------------------------------------------------------------------------------------------
# Build

# vk_build — configures (only when the build tree has no cache yet: Release, or
# VAKSIN_BUILD_TYPE) and builds VAKSIN_BUILD_DIR incrementally; does nothing when VAKSIN_BIN is
# set (the caller brings its own binaries).
vk_build() {
    vk__ctx
    if [[ -n "${VAKSIN_BIN:-}${VK_BIN:-}" ]]; then
        return 0
    fi
    if [[ ! -f "$VK_BUILD_DIR/CMakeCache.txt" ]]; then
        cmake -S "$VK_SRC" -B "$VK_BUILD_DIR" -DCMAKE_BUILD_TYPE="${VAKSIN_BUILD_TYPE:-RelWithDebInfo}" >&2 || {
            vk_err "cmake configure failed"
            return 1
        }
    fi
    cmake --build "$VK_BUILD_DIR" -j "$(nproc)" >&2 || { vk_err "build failed"; return 1; }
}
