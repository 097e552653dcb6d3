#!/usr/bin/env bash
# Usage: check_layering.sh [REPO_ROOT]
#
# Greps the C++ sources for breaks of the layering and determinism rules of
# shared/design/STYLE.md and prints each offence as file:line: text.
#   1. conflict/ is pure: no gRPC, LevelDB or generated protobuf (*.pb.h) includes.
#   2. Real time and real randomness only in node/, cli/, bench/ and tests/:
#      no absl::Now(), absl::GetCurrentTimeNanos(), *_clock::now, random_device,
#      time(nullptr), clock_gettime(), gettimeofday() elsewhere (inject a Clock/Rng).
#   3. No sleeps in tests/: wait on conditions with deadlines instead.
#   4. The sync engine is pure: replication/ includes no gRPC, LevelDB,
#      store/ or threads, except store_replica.* (the engine's view of the
#      store, a library of its own).
# Text after "//" on a line is ignored, so comments may name what they forbid.
# Exit status: 0 if clean, 1 if anything was found, 2 on usage errors.
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
[[ -d "${root}" ]] || { echo "check_layering: no such directory: ${root}" >&2; exit 2; }
cd "${root}"

# C++ sources under `dirs` (relative paths), skipping build trees.
sources() {
  local dirs=()
  for d in "$@"; do [[ -d "${d}" ]] && dirs+=("${d}"); done
  ((${#dirs[@]} > 0)) || return 0
  find "${dirs[@]}" \( -path './build*' -o -path './cmake-build-*' -o -path './.git' \) -prune \
    -o -type f \
    \( -name '*.h' -o -name '*.hh' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' \
    -o -name '*.inc' \) -print | sed 's|^\./||' | sort
}

failures=0

# check RULE PATTERN FILE...: reports lines matching the extended regex PATTERN
# once "//" comments are cut off.
check() {
  local rule="$1" pattern="$2"
  shift 2
  (($# > 0)) || return 0
  local hit file line text code
  while IFS= read -r hit; do
    file="${hit%%:*}"
    line="${hit#*:}"
    text="${line#*:}"
    line="${line%%:*}"
    code="${text%%//*}"
    if grep -qE -- "${pattern}" <<<"${code}"; then
      echo "${file}:${line}: ${rule}: ${text}"
      failures=$((failures + 1))
    fi
  done < <(grep -nHE -- "${pattern}" "$@" || true)
}

mapfile -t conflict_files < <(sources conflict)
check "conflict/ must not include gRPC, LevelDB or generated protobuf headers" \
  '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]((grpc|grpcpp|grpc\+\+|leveldb)/|[^">]*\.pb\.h[">])' \
  "${conflict_files[@]}"

mapfile -t engine_files < <(sources replication | grep -vE '^replication/store_replica\.' || true)
check "the sync engine (replication/) must not include gRPC, LevelDB, store/ or threads" \
  '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]((grpc|grpcpp|grpc\+\+|leveldb|store)/|thread>|mutex>|condition_variable>)' \
  "${engine_files[@]}"

mapfile -t authz_files < <(sources authz)
check "authz/ is the pure rule: no gRPC, LevelDB, protobuf, store/, node/ or threads" \
  '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]((grpc|grpcpp|grpc\+\+|leveldb|store|node|replication)/|[^">]*\.pb\.h[">]|thread>|mutex>)' \
  "${authz_files[@]}"

mapfile -t env_files < <(sources . | grep -vE '^(node|cli|bench|tests)/' || true)
check "real time/randomness outside node/, cli/ (inject a Clock or Rng)" \
  '\babsl::(Now|GetCurrentTimeNanos)\(|\b(system_clock|steady_clock|high_resolution_clock)::now\b|\brandom_device\b|(^|[^.>_[:alnum:]])time\((nullptr|NULL|0)\)|\b(clock_gettime|gettimeofday)\(' \
  "${env_files[@]}"

# tests/support/poll_until.h is the one helper that pauses between checks of
# a condition in another process (it says why).
mapfile -t test_files < <(sources tests | grep -vE '^tests/support/poll_until\.h$' || true)
check "sleep in a test (wait on a condition with a deadline)" \
  '\b(sleep_for|sleep_until|usleep|nanosleep|SleepFor)\b|(^|[^.>_[:alnum:]])sleep\(' \
  "${test_files[@]}"

if ((failures > 0)); then
  echo "check_layering: ${failures} problem(s), see shared/design/STYLE.md" >&2
  exit 1
fi
echo "check_layering: ok"
